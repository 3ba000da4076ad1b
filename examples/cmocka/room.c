#include "room.h"

#include <stdlib.h>
#include <string.h>

#define ROOM_SEATS 16

typedef struct visitor {
  char name[32];
  char *history; /* 512 bytes, freed on leave (not with ROOM_LEAKY) */
} visitor;

struct room {
  visitor *seats[ROOM_SEATS];
};

room *room_open(void) { return calloc(1, sizeof(room)); }

void room_close(room *r) {
  if (!r) return;
  for (int i = 0; i < ROOM_SEATS; i++)
    if (r->seats[i]) room_leave(r, r->seats[i]->name);
  free(r);
}

int room_enter(room *r, const char *name) {
  for (int i = 0; i < ROOM_SEATS; i++) {
    if (r->seats[i]) continue;
    visitor *v = calloc(1, sizeof *v);
    if (!v) return -1;
    v->history = calloc(1, 512);
    if (!v->history) {
      free(v);
      return -1;
    }
    strncpy(v->name, name, sizeof v->name - 1);
    r->seats[i] = v;
    return 0;
  }
  return -1;
}

int room_leave(room *r, const char *name) {
  for (int i = 0; i < ROOM_SEATS; i++) {
    visitor *v = r->seats[i];
    if (!v || strcmp(v->name, name) != 0) continue;
#ifndef ROOM_LEAKY
    free(v->history);
#endif
    free(v);
    r->seats[i] = NULL;
    return 0;
  }
  return -1;
}

int room_count(const room *r) {
  int n = 0;
  for (int i = 0; i < ROOM_SEATS; i++) n += r->seats[i] != NULL;
  return n;
}
