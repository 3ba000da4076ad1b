/* A tiny chat room: the code under test of the cmocka example. Built with
 * -DROOM_LEAKY, room_leave() forgets to free the visitor's history (the bug
 * the leaky test binary must catch). */
#ifndef ROOM_H
#define ROOM_H

typedef struct room room;

room *room_open(void);
void room_close(room *r);
/* Seats a visitor (copies name; keeps a 512-byte history). 0, or -1 when
 * out of memory or the room is full. */
int room_enter(room *r, const char *name);
/* Frees the visitor's seat; 0, or -1 when nobody of that name is seated. */
int room_leave(room *r, const char *name);
/* Visitors seated now. */
int room_count(const room *r);

#endif
