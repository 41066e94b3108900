// Package shapes draws shapes.
package shapes

import (
	"fmt"
	m "math"
	_ "embed"
)

// Pi is roughly pi.
const Pi = 3.14

var (
	count int
	names []string
)

// Shape is anything with an area.
type Shape interface {
	Area() float64
}

// Rect is a rectangle.
type Rect struct {
	W, H float64
}

type Celsius float64

// Area returns w*h.
func (r *Rect) Area() float64 {
	return r.W * r.H
}

func (r Rect) String() string { return fmt.Sprint(r.W, m.Pi) }

// New makes a rect.
func New(w, h float64) *Rect {
	return &Rect{w, h}
}
