use std::collections::HashMap;
use std::io::{self, Read, Write as W};
use crate::util::*;
use serde;

/// The maximum.
pub const MAX: usize = 10;
static GREETING: &str = "hi";

/// A point in space.
#[derive(Debug, Clone)]
pub struct Point {
    x: f64,
    y: f64,
}

pub enum Shape { Circle(f64), Square(f64) }

pub trait Area {
    fn area(&self) -> f64;
}

impl Point {
    /// Makes a point.
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }
}

impl Area for Shape {
    fn area(&self) -> f64 {
        match self { Shape::Circle(r) => 3.14 * r * r, Shape::Square(s) => s * s }
    }
}

mod inner {
    pub fn helper() {}
}

macro_rules! square {
    ($x:expr) => { $x * $x };
}

type Map = HashMap<String, i32>;

fn main() {
    let p = Point::new(1.0, 2.0);
}
