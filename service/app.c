#include "app.h"

struct app app;
