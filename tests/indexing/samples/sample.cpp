#include <vector>
#include "shape.hpp"

namespace geo {

// A shape with an area.
class Shape {
public:
    virtual ~Shape() = default;
    virtual double area() const = 0;
    int sides() const { return n_; }
private:
    int n_ = 0;
};

struct Point { double x, y; };

double Shape::area() const { return 0.0; }

template <typename T>
T maxOf(T a, T b) {
    return a > b ? a : b;
}

using Points = std::vector<Point>;

}  // namespace geo

int main() {
    return 0;
}
