-- Drives a real headless Neovim: its own LSP client attaches ghostls to a Python buffer,
-- asks for inline completions and runs a server command, then writes what it saw as JSON.
-- Inputs come from the environment (GHOSTLS_*), the result goes to GHOSTLS_RESULT.
local env = vim.env
local result = { steps = {} }
local function step(name, value) result.steps[#result.steps + 1] = name; result[name] = value end

local function finish(code)
  local f = assert(io.open(env.GHOSTLS_RESULT, "w"))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd((code == 0) and "qall!" or "cquit! " .. code)
end

local ok, err = pcall(function()
  local timeout = tonumber(env.GHOSTLS_TIMEOUT_MS or "120000")
  -- The README's init.lua block, verbatim (GHOSTLS_CONFIG), with this test's interpreter and model.
  local settings = vim.json.decode(env.GHOSTLS_SETTINGS)
  vim.g.ghostls_python = env.GHOSTLS_PYTHON
  vim.g.ghostls_settings = settings
  dofile(env.GHOSTLS_CONFIG)
  local exit_code
  vim.lsp.config("ghostls", { on_exit = function(code) exit_code = code end }) -- merged into the README's

  vim.cmd.edit(vim.fn.fnameescape(env.GHOSTLS_FILE))
  local buf = vim.api.nvim_get_current_buf()
  step("filetype", vim.bo[buf].filetype)

  local client
  vim.wait(timeout, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = "ghostls" })[1]
    return (client ~= nil and client.initialized == true) or exit_code ~= nil
  end, 20)
  assert(exit_code == nil, "ghostls exited with code " .. tostring(exit_code) .. " before attaching")
  assert(client and client.initialized, "ghostls did not attach to the buffer")
  step("serverName", client.server_info and client.server_info.name)
  step("inlineCompletionProvider", client.server_capabilities.inlineCompletionProvider ~= nil)
  local commands = (client.server_capabilities.executeCommandProvider or {}).commands or {}
  step("commands", commands)

  local function request(method, params)
    local response
    client:request(method, params, function(e, r) response = { err = e, result = r } end, buf)
    assert(vim.wait(timeout, function() return response ~= nil end, 20), method .. " timed out")
    if response.err then error(method .. ": " .. vim.inspect(response.err)) end
    return response.result
  end

  local line, character = tonumber(env.GHOSTLS_LINE), tonumber(env.GHOSTLS_CHARACTER)
  local uri = vim.uri_from_bufnr(buf)
  local inline = request("textDocument/inlineCompletion", {
    textDocument = { uri = uri },
    position = { line = line, character = character },
    context = { triggerKind = 1 },
  })
  step("inline", inline)

  -- What a user types: go to the end of the line in insert mode ("A") and press the README's
  -- <M-l>; ghostls_accept() asks again and inserts the first suggestion at the cursor.  ("x"
  -- runs the keys now and then leaves insert mode, as <Esc> would; the reply comes after.)
  local before = vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1]
  assert(#before == character, "the completion position is not the end of its line")
  vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("A<M-l>", true, false, true), "x", false)
  assert(vim.wait(timeout, function()
    return vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1] ~= before
  end, 20), "ghostls_accept() inserted nothing")
  step("accepted", vim.api.nvim_buf_get_lines(buf, 0, -1, false))
  step("cursor", vim.api.nvim_win_get_cursor(0))

  local function execute(name, args)
    return request("workspace/executeCommand", { command = name, arguments = { args } })
  end
  -- The tokens of the first line (an empty Lua table would travel as [], hence empty_dict()).
  if vim.tbl_contains(commands, "ghostls.showTokens") then
    step("tokens", execute("ghostls.showTokens", { uri = uri, range = {
      start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 0 } } }))
  end
  step("status", execute("ghostls.status", vim.empty_dict()))

  client:stop()
  step("stopped", vim.wait(timeout, function() return client:is_stopped() end, 20))
end)
if not ok then
  result.error = tostring(err)
  local log = io.open(vim.lsp.get_log_path(), "r")
  if log then
    result.log_tail = log:read("*a"):sub(-3000)
    log:close()
  end
end
finish(ok and 0 or 3)
