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
   With LOCK=1 a lock holder takes and releases the shared lock HOLDS times, and LOCKWAITERS
   lock waiters (1 by default) take it HOLDS times each, sleeping on the same wake word while it
   is held. A release does the same fence and load (of the lock-waiter count); when it is
   nonzero it looks at the flag: if no woken lock waiter is awake (0), it sets the flag (1),
   bumps the word and wakes ONE lock sleeper; if one is awake (1), it marks that a release was
   skipped (2) and wakes nobody. When its wake found nobody asleep, it clears the flag, and if
   a release was skipped meanwhile it starts again. A lock waiter that was woken tries up to
   POLLS more times without sleeping, keeping the flag; then it clears the flag and sleeps
   again; it clears it too when it takes the lock.

   The futex is the kernel's: FUTEX_WAIT atomically compares the word with the value and, if
   equal, sleeps until a FUTEX_WAKE; a publication's wake wakes every change sleeper and no lock
   sleeper (their bitsets differ), a release's wakes one lock sleeper. The bounded slice of the
   real code (100 ms) is NOT modelled: a sleeper wakes only when woken, so the protocol alone must
   wake it. Checked: no process ends asleep (spin's invalid end state): a waiter never sleeps
   forever while its cursor is behind, nor a lock waiter while the lock is free.

   Spin interleaves sequentially consistent steps. What the fences forbid is modelled explicitly:
   NOFENCE=1 removes the writer's and the releaser's fence, so their load of the waiter count may
   happen before their publication is visible (a store buffer); NOFENCE=2 removes the waiter's,
   so its loads may happen before its registration is visible. Either must fail the check (a
   waiter sleeps through the last write): Docs/Model/check.sh verifies that too. NORESTART=1
   removes the release's new start after a wake that found nobody asleep while a release was
   skipped: a lock waiter must then be able to sleep while the lock is free.

   Run: spin -a -DMAXW=4 -DLOCK=1 -DLOCKWAITERS=2 wake.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000 */
#ifndef MAXW
#define MAXW 4
#endif
#ifndef LOCK
#define LOCK 0
#endif
#ifndef NOFENCE
#define NOFENCE 0
#endif
#ifndef NORESTART
#define NORESTART 0
#endif
#ifndef HOLDS
#define HOLDS 2
#endif
#ifndef LOCKWAITERS
#define LOCKWAITERS 1
#endif
#ifndef POLLS
#define POLLS 1
#endif
#define SLOTS 2

byte pos = 0, cnt = 0;          /* the published state */
byte gen = 0;                   /* ghost: how many writes are published */
byte wakeWord = 0;              /* the futex */
byte changeWaiters = 0, lockWaiters = 0;  /* the two halves of the waiter count */
bool lockByte = false;
byte wokenLockWaiter = 0;       /* the flag: 1 while a lock waiter a release woke is awake, 2 once a release skipped its wake for it */
bool changeAsleep = false;      /* in the futex's queue, with the change bitset */
bool lockAsleep[LOCKWAITERS];   /* in the futex's queue, with the lock bitset */

/* FUTEX_WAKE_BITSET of every change sleeper, after bumping the word. */
inline wakeChangeWaiters() {
  atomic { wakeWord++; changeAsleep = false }
}

/* FUTEX_WAKE_BITSET of one lock sleeper, after bumping the word; `hit` says whether it found one. */
inline wakeOneLockWaiter(hit) {
  atomic {
    wakeWord++;
    hit = false;
    for (i : 0 .. LOCKWAITERS - 1) {
      if :: !hit && lockAsleep[i] -> lockAsleep[i] = false; hit = true
         :: else -> skip
      fi
    }
  }
}

/* FUTEX_WAIT(wakeWord, value): sleeps only if the word still holds value; then blocks until
   woken. `slept` says whether it slept (and so was woken). */
inline futexWait(value, asleep, slept) {
  atomic { if :: wakeWord == value -> asleep = true; slept = true :: else -> slept = false fi };
  !asleep
}

/* The publisher's side after its publishing store `publish`: fence, one load of `count` into
   `seen`, and `wake` if it is nonzero. */
#define PUBLISH_AND_WAKE(publish, count, wake) \
  if \
  :: true -> publish; seen = count                     /* with the fence: in program order */ \
  :: NOFENCE == 1 -> seen = count; publish             /* without it, the load may pass the store */ \
  fi; \
  if :: seen != 0 -> wake :: else -> skip fi; \
  seen = 0

/* The release's wake: unless a woken lock waiter is awake (then it marks the skip), set the flag
   and wake one sleeper; when it found nobody asleep, clear the flag, and start again if a
   release was skipped meanwhile and lock waiters are still counted. */
#define WAKE_LOCK_WAITER \
  do \
  :: atomic { if :: wokenLockWaiter == 0 -> wokenLockWaiter = 1; won = true \
                 :: wokenLockWaiter == 1 -> wokenLockWaiter = 2; won = false \
                 :: else -> won = false fi }; \
     if \
     :: won -> wakeOneLockWaiter(hit); \
        if \
        :: hit -> break \
        :: else -> atomic { again = (wokenLockWaiter == 2); wokenLockWaiter = 0 }; \
           if :: again && lockWaiters != 0 && !NORESTART -> skip :: else -> break fi \
        fi \
     :: else -> break \
     fi \
  od; \
  won = false; hit = false; again = false

active proctype Writer() {
  byte seen;
  do
  :: gen < MAXW ->
     if
     :: pos < SLOTS -> PUBLISH_AND_WAKE(atomic { pos++; gen++ }, changeWaiters, wakeChangeWaiters())
     :: true -> PUBLISH_AND_WAKE(atomic { pos = 0; cnt++; gen++ }, changeWaiters, wakeChangeWaiters())
     fi
  :: else -> break
  od
}

active proctype ChangeWaiter() {
  byte lcnt = 0, lpos = 0, lgen = 0, value, c, p, g;
  bool slept;
  do
  :: lgen == MAXW -> break                             /* its cursor is the last write's */
  :: else ->
     if
     :: true -> changeWaiters++; value = wakeWord; atomic { c = cnt; p = pos; g = gen }
     :: NOFENCE == 2 -> atomic { c = cnt; p = pos; g = gen }; changeWaiters++; value = wakeWord
     fi;
     if
     :: c != lcnt || p != lpos -> lcnt = c; lpos = p; lgen = g   /* changed: read it */
     :: else -> futexWait(value, changeAsleep, slept)
     fi;
     atomic { changeWaiters--; value = 0; c = 0; p = 0; g = 0; slept = false }   /* locals cleared: fewer states */
  od
}

active [LOCK] proctype LockHolder() {
  byte holds = 0, seen, i;
  bool won, hit, again;
  do
  :: holds < HOLDS ->
     atomic { !lockByte -> lockByte = true };
     holds++;
     PUBLISH_AND_WAKE(lockByte = false, lockWaiters, WAKE_LOCK_WAITER)
  :: else -> break
  od
}

active [LOCK * LOCKWAITERS] proctype LockWaiter() {
  byte me = _pid - 2 - LOCK;                           /* its index in lockAsleep */
  byte holds = 0, value, seen, polls = 0, i;
  bool free, woken = false, slept, won, hit, again;
  do
  :: holds == HOLDS -> break
  :: atomic { holds < HOLDS && !lockByte -> lockByte = true };  /* took it (spinning or polling) */
     holds++;
     if :: woken -> wokenLockWaiter = 0; woken = false; polls = 0 :: else -> skip fi;
     PUBLISH_AND_WAKE(lockByte = false, lockWaiters, WAKE_LOCK_WAITER)
  :: holds < HOLDS && lockByte && polls > 0 -> polls--  /* woken: tries again without sleeping */
  :: holds < HOLDS && lockByte && polls == 0 ->        /* held: sleep until released */
     if :: woken -> wokenLockWaiter = 0; woken = false :: else -> skip fi;
     if
     :: true -> lockWaiters++; value = wakeWord; free = !lockByte
     :: NOFENCE == 2 -> free = !lockByte; lockWaiters++; value = wakeWord
     fi;
     if
     :: !free -> futexWait(value, lockAsleep[me], slept);
        if :: slept -> woken = true; polls = POLLS :: else -> skip fi
     :: else -> skip
     fi;
     atomic { lockWaiters--; value = 0; free = false; slept = false }
  od;
  if :: woken -> wokenLockWaiter = 0 :: else -> skip fi
}
