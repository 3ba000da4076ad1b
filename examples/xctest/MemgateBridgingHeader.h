/*
 * MemgateBridgingHeader.h - the "Objective-C Bridging Header" of a Swift test
 * target that calls memgate (Xcode build setting SWIFT_OBJC_BRIDGING_HEADER,
 * or `swiftc -import-objc-header` as `make xctest` does).
 *
 * In your own target keep the first include only, and put harness/include
 * on the target's header search paths (HEADER_SEARCH_PATHS). The second one
 * is the C model these example tests drive (examples/live_room); it is
 * found relative to this file.
 *
 * Targets that use the Swift package (`import memgate`) need no bridging
 * header.
 */
#include "memgate.h"
#include "../live_room/live_room.h"
