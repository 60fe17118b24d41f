/* The publication protocol of UltraDict for Swift, as implemented (Docs/FORMAT.md, and
   UpdateLog.append / publishFullDump / readChanges in Sources/UltraDictTransport/UpdateLog.swift).
   It mirrors the code's order of stores and loads; a change to either changes the other.

   One writer (it holds the lock), one lock-free reader, one key whose value only grows.
   The writer appends to a SLOTS-slot stream; when it is full it publishes a full dump:
       sequence odd; dump written (in place, in two halves, when STATIC); name published
       (dynamic only); position reset to 0; counter incremented; sequence even.
   The reader's hot path compares counter and position with what it applied; its slow path reads
   the sequence word (retry while odd), the counter, the position, the dump when the counter
   moved, the stream, then the sequence word and the counter again, and commits only if neither
   moved.
   Checked: the reader never commits a torn dump, never goes backwards, and ends with the
   writer's final value.

   Run (Docs/Model/check.sh does all cases):
     spin -a -DSTATIC=0 -DMAXW=7 publication.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m200000 */
#ifndef STATIC
#define STATIC 0
#endif
#ifndef MAXW
#define MAXW 7
#endif
#define SLOTS 2
byte pos = 0, cnt = 0, name = 0, seq = 0, v = 0;
byte stream[SLOTS];
byte dumpA[12], dumpB[12];   /* a dump's two halves; STATIC rewrites slot 0 in place */
bool done = false;

active proctype Writer() {
  byte d;
  do
  :: v < MAXW ->
     v++;
     if
     :: pos < SLOTS -> stream[pos] = v; pos++          /* append, then publish the position */
     :: else ->
        seq++;                                          /* odd: a publication begins */
        if :: STATIC -> d = 0 :: else -> d = cnt + 1 fi;
        dumpA[d] = v; dumpB[d] = v;                     /* the dump, possibly in place */
        if :: STATIC -> skip :: else -> name = d fi;    /* a dynamic dump's name */
        pos = 0;                                        /* the position first ... */
        cnt++;                                          /* ... then the counter */
        seq++                                           /* even: published */
     fi
  :: else -> break
  od;
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
       if :: fin -> assert(lv == v); break :: else -> skip fi
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
