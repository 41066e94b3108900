package com.example.shapes;

import java.util.List;
import java.util.*;
import static java.lang.Math.PI;

/**
 * A shape.
 */
public class Sample implements Comparable<Sample> {
    public static final int MAX_SIDES = 12;
    private final List<String> names;

    /** Makes one. */
    public Sample(List<String> names) {
        this.names = names;
    }

    @Override
    public int compareTo(Sample other) {
        return 0;
    }

    interface Visitor {
        void visit(Sample s);
    }

    enum Kind { ROUND, SQUARE }

    record Pair(int a, int b) {}
}
