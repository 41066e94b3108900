"""Rank fusion, de-duplication, dropping what the prompt shows, and packing within the budget."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghostls.context.rank import Candidate, drop_shown, fuse, layout_order, pack
from ghostls.providers.base import Snippet


def snip(path: str, start: int, end: int, source: str = "similar", text: str = "") -> Snippet:
    return Snippet(text or f"# {path} {start}-{end}\n", source, path, start, end)


def test_fusion_rewards_agreement_between_sources():
    a, b, c = snip("a.py", 0, 9), snip("b.py", 0, 9), snip("c.py", 0, 9)
    fused = fuse({"similar": [a, b, c], "similar-open": [c, b]})
    # b and c are found by both sources and beat a, the first of only one list.
    assert [x.snippet.path for x in fused][:2] == ["b.py", "c.py"] or [x.snippet.path for x in fused][:2] == [
        "c.py", "b.py"]
    assert fused[-1].snippet.path == "a.py"


def test_fusion_weights_sources():
    d, s = snip("d.py", 0, 3, "definition"), snip("s.py", 0, 3, "similar")
    assert [c.snippet.source for c in fuse({"similar": [s], "definition": [d]})] == ["definition", "similar"]


def test_overlapping_snippets_of_one_file_merge_into_the_best():
    best, overlap, apart = snip("a.py", 10, 19), snip("a.py", 15, 24), snip("a.py", 30, 39)
    fused = fuse({"definition": [best], "similar": [overlap, apart]})
    spans = [(c.snippet.start_line, c.snippet.end_line) for c in fused]
    assert spans == [(10, 19), (30, 39)]
    # The merged one carries both contributions.
    assert fused[0].score > fuse({"definition": [best]})[0].score


def test_what_the_prompt_shows_is_dropped():
    cands = [Candidate(snip("cur.py", 40, 49), 1.0), Candidate(snip("cur.py", 0, 5), 0.9),
             Candidate(snip("other.py", 40, 49), 0.8)]
    kept = drop_shown(cands, "cur.py", (30, 60))
    assert [(c.snippet.path, c.snippet.start_line) for c in kept] == [("cur.py", 0), ("other.py", 40)]


def test_pack_keeps_the_best_that_fit_and_skips_the_too_big(bpe_counter):
    big = Candidate(snip("big.py", 0, 99, text="value = compute(item)\n" * 200), 1.0)
    small = Candidate(snip("small.py", 0, 1, text="def f(x):\n    return x\n"), 0.5)
    kept = pack([big, small], bpe_counter, 60)
    assert [c.snippet.path for c in kept] == ["small.py"]


def test_layout_puts_stable_sources_first_in_file_order():
    cands = [Candidate(snip("z.py", 0, 1, "recent-edit"), 0.9), Candidate(snip("b.py", 5, 6, "definition"), 0.8),
             Candidate(snip("a.py", 9, 9, "definition"), 0.1), Candidate(snip("m.py", 0, 1, "scope"), 0.05)]
    assert [(s.source, s.path) for s in layout_order(cands)] == [
        ("scope", "m.py"), ("definition", "a.py"), ("definition", "b.py"), ("recent-edit", "z.py")]


code_lines = st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
                      min_size=1, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(code_lines, min_size=0, max_size=12), budget=st.integers(min_value=0, max_value=400),
       overhead=st.integers(min_value=0, max_value=8))
def test_packing_never_exceeds_the_budget_in_real_tokens(bpe_counter, texts, budget, overhead):
    cands = [Candidate(Snippet("\n".join(lines), "similar", f"pkg/f{i}.py", i * 20, i * 20 + len(lines)), 1 / (i + 1))
             for i, lines in enumerate(texts)]
    kept = pack(cands, bpe_counter, budget, overhead=overhead)
    used = sum(bpe_counter.count(c.snippet.text) + bpe_counter.count(c.snippet.path) + overhead for c in kept)
    assert used <= budget
    # Best first: what is kept is in rank order.
    assert kept == sorted(kept, key=lambda c: -c.score)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=200), min_size=1, max_size=8))
def test_batched_counts_equal_one_call_per_text(bpe_counter, texts):
    from ghostls.context.rank import count_all

    assert count_all(bpe_counter, texts) == [bpe_counter.count(t) for t in texts]
