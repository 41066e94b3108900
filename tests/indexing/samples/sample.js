import fs from "fs";
import { join, resolve as res } from "path";
import * as util from "./util.js";
import "./side-effect.js";
const lodash = require("lodash");
const { readFile } = require("fs/promises");

/**
 * Greets someone.
 */
export function greet(name) {
  return `hi ${name}`;
}

// The maximum.
export const MAX = 10;
let counter = 0;

const add = (a, b) => a + b;

class Shape extends Base {
  size = 1;
  constructor(w) {
    super();
    this.w = w;
  }
  // Area of the shape.
  area() {
    return this.w * this.w;
  }
}
