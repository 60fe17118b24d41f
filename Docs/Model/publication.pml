/* The publication protocol of UltraDict for Swift, as implemented (Docs/FORMAT.md, and
   UpdateLog.append / publishFullDump / readChanges in Sources/UltraDictTransport/UpdateLog.swift).
   It mirrors the code's order of stores and loads; a change to either changes the other.

   One writer (it holds the lock), one lock-free reader, one key whose value only grows.
   The writer appends to a SLOTS-slot stream; when it is full it publishes a full dump:
       pending dump named; the dump written whole, with the counter it publishes (its trailer),
       to a fresh segment (a shadow, when STATIC); sequence odd; the dump copied in place in two
       halves (STATIC) or its name published; position reset to 0; counter set to the dump's;
       sequence even; pending cleared.
   With KILL=1 the writer may die before any of its steps; the next lock holder (Repairer) then
   finishes an interrupted publication from the pending dump, as repairInterruptedPublication.
   The reader's hot path compares counter and position with what it applied; its slow path reads
   the sequence word (retry while odd), the counter, the position, the dump when the counter
   moved, the stream, then the sequence word and the counter again, and commits only if neither
   moved.
   Checked: the reader never commits a torn dump, never goes backwards, and ends with a value
   at least the last acknowledged write's (no acknowledged write is lost) and at most the last
   attempted one.

   Run (Docs/Model/check.sh does all cases):
     spin -a -DSTATIC=0 -DMAXW=7 -DKILL=1 publication.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m200000 */
#ifndef STATIC
#define STATIC 0
#endif
#ifndef MAXW
#define MAXW 7
#endif
#ifndef KILL
#define KILL 0
#endif
#define SLOTS 2
#define SHADOW 11
byte pos = 0, cnt = 0, name = 0, seq = 0, v = 0, acked = 0, pend = 0;
byte stream[SLOTS];
byte dumpA[12], dumpB[12], dumpC[12];  /* a dump's two halves and its trailer's counter; slot 0 is STATIC's in-place dump */
bool done = false, killed = false;

/* A SIGKILL: with KILL=1, at any moment. */
active proctype Killer() {
  if :: KILL -> killed = true :: else -> skip fi
}

active proctype Writer() {
  byte d;
  {
    do
    :: v < MAXW ->
       v++;
       if
       :: pos < SLOTS -> stream[pos] = v; pos++            /* append, then publish the position */
       :: else ->
          if :: STATIC -> d = SHADOW :: else -> d = cnt + 1 fi;
          pend = d;                                         /* the pending dump, named first */
          dumpA[d] = v; dumpB[d] = v; dumpC[d] = cnt + 1;   /* written whole, with its trailer */
          seq++;                                            /* odd: a publication begins */
          if
          :: STATIC -> dumpA[0] = dumpA[d]; dumpB[0] = dumpB[d]; dumpC[0] = dumpC[d]  /* in place */
          :: else -> name = d                               /* a dynamic dump's name */
          fi;
          pos = 0;                                          /* the position first ... */
          cnt = dumpC[d];                                   /* ... then the counter */
          seq++;                                            /* even: published */
          pend = 0
       fi;
       acked = v                                            /* the write returned */
    :: else -> break
    od;
    done = true
  } unless { killed }
}

/* The next lock holder, once it took the lock over from the dead writer. */
active proctype Repairer() {
  byte d;
end_waiting: killed;                                  /* a valid end state when no writer dies */
  if
  :: seq % 2 == 1 ->
     d = pend;
     assert(d != 0 && (dumpC[d] == cnt + 1 || dumpC[d] == cnt) && dumpA[d] == dumpB[d]);  /* the pending dump is complete */
     if
     :: STATIC -> dumpA[0] = dumpA[d]; dumpB[0] = dumpB[d]; dumpC[0] = dumpC[d]
     :: else -> name = d
     fi;
     pos = 0;
     cnt = dumpC[d];
     seq++;
     pend = 0
  :: else -> skip
  fi;
  done = true
}

active proctype Reader() {
  byte lv = 0, lcnt = 0, lpos = 0, last = 0;
  byte c, p, s1, s2, c2, nv, np, nm, i, a, b;
  bool fin;
  do
  :: true ->
    fin = done;
    c = cnt; p = pos;                                   /* the hot path's two loads */
    if
    :: c == lcnt && p == lpos ->
       if :: fin -> assert(lv >= acked && lv <= v); break :: else -> skip fi
    :: else ->
       s1 = seq;
       if :: s1 % 2 == 1 -> goto again :: else -> skip fi;
       c = cnt; p = pos;
       if
       :: c != lcnt -> nm = name; a = dumpA[nm]; b = dumpB[nm]; nv = a; np = 0
       :: else -> a = 0; b = 0; nv = lv; np = lpos
       fi;
       if :: p < np -> goto again :: else -> skip fi;
       i = np;
       do
       :: i < p -> nv = stream[i]; i++
       :: else -> break
       od;
       s2 = seq; c2 = cnt;
       if
       :: s1 != s2 || c2 != c -> goto again
       :: else ->
          assert(a == b);          /* never commit a torn dump */
          assert(nv >= last);      /* never go backwards */
          lv = nv; lcnt = c; lpos = p; last = lv
       fi
    fi;
again: skip
  od
}
