/* The wake protocol of UltraDict for Swift, as implemented (Docs/FORMAT.md, "Wake protocol";
   WakeWord, UpdateLog.waitForChanges and SharedSpinLock in Sources/). It mirrors the code's
   order of stores and loads; a change to either changes the other.

   A writer publishes MAXW changes, each a record (the position moves) or a full dump (the
   position goes back to 0 and the counter moves); after each, the writer's side of the protocol:
   a sequentially consistent fence, one load of the change-waiter count, and only when it is
   nonzero a bump of the wake word and a futex wake of every sleeper.
   A waiter for changes holds a cursor (counter, position). Its step: count itself as a waiter
   (sequentially consistent), load the wake word, load the counter and the position; if they
   differ from the cursor, take them as the new cursor; else futex-wait on the wake word with the
   loaded value; uncount itself. It stops once its cursor is the last write's.
   With LOCK=1 a lock holder takes and releases the shared lock HOLDS times, releasing with the
   same fence, load (of the lock-waiter count) and wake, and a lock waiter takes the lock HOLDS
   times, sleeping on the same wake word while it is held. Everyone's wake wakes everyone.

   The futex is the kernel's: FUTEX_WAIT atomically compares the word with the value and, if
   equal, sleeps until a FUTEX_WAKE; a wake wakes every sleeper. The bounded slice of the real
   code (100 ms) is NOT modelled: a sleeper wakes only when woken, so the protocol alone must
   wake it. Checked: no process ends asleep (spin's invalid end state): a waiter never sleeps
   forever while its cursor is behind, nor a lock waiter while the lock is free.

   Spin interleaves sequentially consistent steps. What the fences forbid is modelled explicitly:
   NOFENCE=1 removes the writer's and the releaser's fence, so their load of the waiter count may
   happen before their publication is visible (a store buffer); NOFENCE=2 removes the waiter's,
   so its loads may happen before its registration is visible. Either must fail the check (a
   waiter sleeps through the last write): Docs/Model/check.sh verifies that too.

   Run: spin -a -DMAXW=4 -DLOCK=1 wake.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000 */
#ifndef MAXW
#define MAXW 4
#endif
#ifndef LOCK
#define LOCK 0
#endif
#ifndef NOFENCE
#define NOFENCE 0
#endif
#ifndef HOLDS
#define HOLDS 2
#endif
#define SLOTS 2

byte pos = 0, cnt = 0;          /* the published state */
byte gen = 0;                   /* ghost: how many writes are published */
byte wakeWord = 0;              /* the futex */
byte changeWaiters = 0, lockWaiters = 0;  /* the two halves of the waiter count */
bool lockByte = false;
bool changeAsleep = false, lockAsleep = false;  /* in the futex's queue */

/* FUTEX_WAKE all, after bumping the word. */
inline wakeAll() {
  atomic { wakeWord++; changeAsleep = false; lockAsleep = false }
}

/* FUTEX_WAIT(wakeWord, value): sleeps only if the word still holds value; then blocks until woken. */
inline futexWait(value, asleep) {
  atomic { if :: wakeWord == value -> asleep = true :: else -> skip fi };
  !asleep
}

/* The publisher's side after its publishing store `publish`: fence, one load of `count` into
   `seen`, and a wake if it is nonzero. */
#define PUBLISH_AND_WAKE(publish, count) \
  if \
  :: true -> publish; seen = count                     /* with the fence: in program order */ \
  :: NOFENCE == 1 -> seen = count; publish             /* without it, the load may pass the store */ \
  fi; \
  if :: seen != 0 -> wakeAll() :: else -> skip fi; \
  seen = 0

active proctype Writer() {
  byte seen;
  do
  :: gen < MAXW ->
     if
     :: pos < SLOTS -> PUBLISH_AND_WAKE(atomic { pos++; gen++ }, changeWaiters)
     :: true -> PUBLISH_AND_WAKE(atomic { pos = 0; cnt++; gen++ }, changeWaiters)
     fi
  :: else -> break
  od
}

active proctype ChangeWaiter() {
  byte lcnt = 0, lpos = 0, lgen = 0, value, c, p, g;
  do
  :: lgen == MAXW -> break                             /* its cursor is the last write's */
  :: else ->
     if
     :: true -> changeWaiters++; value = wakeWord; atomic { c = cnt; p = pos; g = gen }
     :: NOFENCE == 2 -> atomic { c = cnt; p = pos; g = gen }; changeWaiters++; value = wakeWord
     fi;
     if
     :: c != lcnt || p != lpos -> lcnt = c; lpos = p; lgen = g   /* changed: read it */
     :: else -> futexWait(value, changeAsleep)
     fi;
     atomic { changeWaiters--; value = 0; c = 0; p = 0; g = 0 }   /* locals cleared: fewer states */
  od
}

active [LOCK] proctype LockHolder() {
  byte holds = 0, seen;
  do
  :: holds < HOLDS ->
     atomic { !lockByte -> lockByte = true };
     holds++;
     PUBLISH_AND_WAKE(lockByte = false, lockWaiters)
  :: else -> break
  od
}

active [LOCK] proctype LockWaiter() {
  byte holds = 0, value, seen;
  bool free;
  do
  :: holds == HOLDS -> break
  :: atomic { holds < HOLDS && !lockByte -> lockByte = true };  /* took it (spinning) */
     holds++;
     PUBLISH_AND_WAKE(lockByte = false, lockWaiters)
  :: holds < HOLDS && lockByte ->                      /* held: sleep until released */
     if
     :: true -> lockWaiters++; value = wakeWord; free = !lockByte
     :: NOFENCE == 2 -> free = !lockByte; lockWaiters++; value = wakeWord
     fi;
     if
     :: !free -> futexWait(value, lockAsleep)
     :: else -> skip
     fi;
     atomic { lockWaiters--; value = 0; free = false }
  od
}
