#include <stdio.h>
#include "shapes.h"

#define MAX_SIDES 12
#define SQUARE(x) ((x) * (x))

/* A point. */
struct point {
    int x;
    int y;
};

typedef struct point point_t;

enum color { RED, GREEN };

int counter = 0;

int area(int w, int h);

/* Computes the area
   of a rectangle. */
int area(int w, int h)
{
    return w * h;
}

static char *name_of(struct point *p) {
    return "p";
}
