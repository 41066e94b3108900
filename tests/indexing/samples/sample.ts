import { Injectable } from "@angular/core";
import type { Options } from "./options";

/** A point. */
export interface Point {
  x: number;
  y: number;
  norm(): number;
}

export type Id = string | number;

enum Color { Red, Green }

namespace Geometry {
  export function area(p: Point): number {
    return p.x * p.y;
  }
}

export abstract class Repo<T> {
  private items: T[] = [];
  abstract find(id: Id): T | undefined;
  add(item: T): void {
    this.items.push(item);
  }
}

export const handler = async (req: Request): Promise<Response> => {
  return new Response("ok");
};
