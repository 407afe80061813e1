#!/usr/bin/python3
"""saslprep-gen.py -- the Unicode tables of sendmail/saslprep.c and its test
vectors, from Python's stringprep module and unicodedata.ucd_3_2_0 (RFC 3454
fixes stringprep to Unicode 3.2).

    saslprep-gen.py            rewrite sendmail/saslprep_tab.inc and
                               sendmail/tests/test_saslprep_vec.inc
    saslprep-gen.py --check    exit 1 when either file differs from what
                               this script makes (make unit runs this)

Development time only: the program does not run Python.  The tables are
code point ranges:

  b1       "commonly mapped to nothing" (RFC 3454 B.1)
  c12      non-ASCII space (C.1.2), mapped to U+0020 by SASLprep
  prohib   every other prohibited table SASLprep names (C.2.1, C.2.2, C.3,
           C.4, C.5, C.6, C.7, C.8, C.9)
  d1, d2   bidi RandALCat and LCat (D.1, D.2)

and the NFKC data (Unicode 3.2; Hangul syllables are left to the C code,
which decomposes and composes them algorithmically):

  ccc      canonical combining classes other than 0, as ranges with one
           class each (combining())
  dec      the full compatibility decomposition of every code point that
           has one, decomposition() applied recursively: sorted code points
           with an offset and a length into dec_cp, one flat array.  Five
           CJK compatibility ideographs (DECOMP_FIXED) take the mapping of
           Unicode Corrigendum #4, as ucd_3_2_0.normalize() does, so that
           postern's NFKC is Python's.
  comp     canonical composition pairs (first, second, composite): every
           2-code-point canonical decomposition whose NFC gives the
           composite back, which leaves out the composition exclusions,
           singletons and non-starter decompositions.

The vectors: the first 400 mix ASCII, Latin, Cyrillic, combining marks,
Hebrew and Arabic, spaces, B.1 and prohibited code points; the rest mix
compatibility characters, combining marks in random order, Hangul jamo and
syllables and precomposed Latin and Greek.  Their expected output is the
full SASLprep: the stringprep tables and ucd_3_2_0.normalize('NFKC').
A string with a code point unassigned in Unicode 3.2 that Python's current
database would reorder or compose is left out: ucd_3_2_0.normalize() takes
combining classes and compositions from the current database there, where
Unicode 3.2 (and postern) has class 0 and no composition.
"""
import os
import random
import stringprep
import sys
import unicodedata

U = unicodedata.ucd_3_2_0
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAB = TOP + '/sendmail/saslprep_tab.inc'
VEC = TOP + '/sendmail/tests/test_saslprep_vec.inc'
MAXCP = 0x110000


def ranges(pred):
    out, start = [], None
    for cp in range(MAXCP + 1):
        ok = cp < MAXCP and pred(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    return out


SBASE, SCOUNT = 0xAC00, 11172
DECOMP_FIXED = (0x2F868, 0x2F874, 0x2F91F, 0x2F95F, 0x2F9BF)


def surrogate(cp):
    return 0xD800 <= cp <= 0xDFFF


def hangul(cp):
    return SBASE <= cp < SBASE + SCOUNT


def decomp_one(cp):
    """(canonical?, [code points]) of decomposition(), or None."""
    d = U.decomposition(chr(cp))
    if not d:
        return None
    p = d.split()
    canon = not p[0].startswith('<')
    if not canon:
        p = p[1:]
    return canon, [int(x, 16) for x in p]


def decomp_full(cp, depth=0):
    assert depth < 8
    d = decomp_one(cp)
    if d is None:
        return [cp]
    out = []
    for x in d[1]:
        out += decomp_full(x, depth + 1)
    return out


def decomp_table():
    t = {}
    for cp in range(MAXCP):
        if surrogate(cp) or hangul(cp) or decomp_one(cp) is None:
            continue
        f = decomp_full(cp)
        nfkd = [ord(c) for c in U.normalize('NFKD', chr(cp))]
        if cp in DECOMP_FIXED:
            f = nfkd
        # Canonical ordering happens in C; here only the multiset may differ.
        assert sorted(f) == sorted(nfkd) and \
            U.normalize('NFKD', ''.join(map(chr, f))) == \
            ''.join(map(chr, nfkd)), hex(cp)
        t[cp] = f
        # saslprep.c holds the decomposed string in 2 * SASLPREP_MAX code
        # points: enough when no character NFKC can output has more than
        # two code points in its canonical decomposition per UTF-8 octet.
        c = chr(cp)
        assert U.normalize('NFKC', c) != c or \
            len(U.normalize('NFD', c)) <= 2 * len(c.encode()), hex(cp)
    return t


def comp_table():
    out = []
    for cp in range(MAXCP):
        if surrogate(cp) or hangul(cp):
            continue
        d = decomp_one(cp)
        if d is None or not d[0] or len(d[1]) != 2:
            continue
        a, b = d[1]
        if U.normalize('NFC', chr(a) + chr(b)) == chr(cp):
            out.append((a, b, cp))
    return sorted(out)


def ccc_ranges():
    out = []
    for cp in range(MAXCP):
        k = 0 if surrogate(cp) else U.combining(chr(cp))
        if k == 0:
            continue
        if out and out[-1][1] == cp - 1 and out[-1][2] == k:
            out[-1][1] = cp
        else:
            out.append([cp, cp, k])
    return out


PROHIB = (stringprep.in_table_c21, stringprep.in_table_c22,
          stringprep.in_table_c3, stringprep.in_table_c4,
          stringprep.in_table_c5, stringprep.in_table_c6,
          stringprep.in_table_c7, stringprep.in_table_c8,
          stringprep.in_table_c9)


def prohibited(cp):
    if surrogate(cp):
        return True
    c = chr(cp)
    return any(f(c) for f in PROHIB)


def table(name, rs):
    lines = ['static const struct cprange %s[] = {' % name]
    row = []
    for a, b in rs:
        row.append('{0x%x,0x%x},' % (a, b))
        if len(row) == 4:
            lines.append('\t' + ' '.join(row))
            row = []
    if row:
        lines.append('\t' + ' '.join(row))
    lines.append('};')
    return '\n'.join(lines) + '\n'


def make_tab():
    # No Python version in the header: --check must give the same bytes
    # under any Python 3 whose ucd_3_2_0 is Unicode 3.2 (Debian's 3.11.2 in
    # a fresh chroot, a newer one elsewhere).
    out = ['/* Generated by sendmail/tests/saslprep-gen.py from Python\'s',
           ' * stringprep and unicodedata.ucd_3_2_0 (Unicode %s); do not edit. */'
           % U.unidata_version, '']
    nosur = lambda f: (lambda cp: not surrogate(cp) and f(chr(cp)))
    out.append(table('tab_b1', ranges(nosur(stringprep.in_table_b1))))
    out.append(table('tab_c12', ranges(nosur(stringprep.in_table_c12))))
    out.append(table('tab_prohib', ranges(prohibited)))
    out.append(table('tab_d1', ranges(nosur(stringprep.in_table_d1))))
    out.append(table('tab_d2', ranges(nosur(stringprep.in_table_d2))))
    out.append(rows('static const struct ccrange tab_ccc[] = {',
                    ['{0x%x,0x%x,%d},' % tuple(r) for r in ccc_ranges()], 4))
    dec = decomp_table()
    flat, ents = [], []
    for cp in sorted(dec):
        assert len(flat) < 0x10000 and len(dec[cp]) < 0x100
        ents.append('{0x%x,%d,%d},' % (cp, len(flat), len(dec[cp])))
        flat += dec[cp]
    out.append(rows('static const struct decomp tab_dec[] = {', ents, 4))
    out.append(rows('static const uint32_t tab_dec_cp[] = {',
                    ['0x%x,' % x for x in flat], 8))
    out.append(rows('static const struct comp tab_comp[] = {',
                    ['{0x%x,0x%x,0x%x},' % t for t in comp_table()], 3))
    return '\n'.join(out)


def rows(head, items, per):
    lines = [head]
    for i in range(0, len(items), per):
        lines.append('\t' + ' '.join(items[i:i + per]))
    lines.append('};')
    return '\n'.join(lines) + '\n'


def current_composing():
    s = set()
    for cp in range(MAXCP):
        if surrogate(cp):
            continue
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith('<') and len(d.split()) == 2:
            s.update(int(x, 16) for x in d.split())
    return s


CUR_COMPOSING = current_composing()


def quirk(c):
    """Unassigned in 3.2, but Python's normalize() treats it as assigned."""
    return U.category(c) == 'Cn' and (unicodedata.combining(c) != 0 or
                                       ord(c) in CUR_COMPOSING)


# The reference: RFC 4013 with the full NFKC.  Returns (status, output):
# status 0 prepared, 1 prohibited or bidi (2, invalid UTF-8, never occurs).
def reference(s):
    m = ''.join(' ' if stringprep.in_table_c12(c) else c
                for c in s if not stringprep.in_table_b1(c))
    n = U.normalize('NFKC', m)
    if any(prohibited(ord(c)) for c in n):
        return 1, None
    if any(stringprep.in_table_d1(c) for c in n):
        if any(stringprep.in_table_d2(c) for c in n) or \
           not (stringprep.in_table_d1(n[0]) and stringprep.in_table_d1(n[-1])):
            return 1, None
    return 0, n


def cstr(b):
    return '"' + ''.join('\\x%02x' % x for x in b) + '"'


def make_vec():
    rnd = random.Random(4013)
    pools = [range(0x20, 0x7f), range(0x20, 0x7f), range(0xa0, 0x180),
             range(0xa0, 0x180), range(0x400, 0x500), range(0x300, 0x370),
             range(0x590, 0x700), range(0x2000, 0x2070), range(0x3000, 0x3100),
             range(0xfe00, 0xff00), range(0x1d400, 0x1d500), range(0xe000, 0xe010),
             [0xad, 0x34f, 0x1806, 0x200b, 0x2060, 0xfeff, 0xa0, 0x1680, 0x3000,
              0x7f, 0x1, 0x85, 0x6dd, 0xfffe, 0xe0001, 0x10fffd, 0x5d0, 0x627,
              0x41, 0x31]]
    out = ['/* Generated by sendmail/tests/saslprep-gen.py; do not edit.',
           ' * { input, status (0 ok, 1 prohibited, 2 unsupported), output } */',
           'static const struct vec vecs[] = {']
    seen = set()
    npool = [range(0x20, 0x7f), range(0xa0, 0x180), range(0x1e00, 0x1f00),
             range(0x1f00, 0x2000), range(0x300, 0x370), range(0x300, 0x370),
             range(0x591, 0x5c5), range(0x64b, 0x656), range(0x1100, 0x11fa),
             range(0xac00, 0xd7a4), range(0xac00, 0xd7a4),
             range(0x2150, 0x2190), range(0x2460, 0x2500),
             range(0x3300, 0x3400), range(0xfb00, 0xfb50),
             range(0xfb50, 0xfe00), range(0xfe30, 0xff00),
             range(0xff00, 0xfff0), range(0x1d400, 0x1d800),
             range(0x2f800, 0x2fa1e), range(0x0e30, 0x0f00),
             range(0x3040, 0x3100), range(0x20d0, 0x20eb),
             [0x1161, 0x1175, 0x11a8, 0x11c2, 0x1100, 0x1112, 0x301, 0x316,
              0x327, 0x345, 0x3b9, 0x308, 0x41, 0x61, 0x4f, 0x55, 0x3a9,
              0xfdfa, 0x1e9b, 0x323, 0x307, 0x338, 0x3c, 0x3d, 0x3e]]
    while len(seen) < 3000:
        if len(seen) < 400:
            k = rnd.randint(1, 5)
            s = ''.join(chr(rnd.choice(rnd.choice(pools))) for _ in range(k))
        else:
            k = rnd.randint(1, 10)
            s = ''.join(chr(rnd.choice(rnd.choice(npool))) for _ in range(k))
        if surrogate(max(ord(c) for c in s)) or s in seen or \
           any(quirk(c) for c in s):
            continue
        seen.add(s)
        st, n = reference(s)
        out.append('\t{ %s, %d, %s },' % (cstr(s.encode()), st,
                   cstr(n.encode()) if n is not None else 'NULL'))
    out.append('};')
    return '\n'.join(out) + '\n'


def main():
    want = {TAB: make_tab(), VEC: make_vec()}
    if sys.argv[1:] == ['--check']:
        bad = [f for f, t in want.items() if open(f).read() != t]
        for f in bad:
            print('saslprep-gen: %s is out of date' % f)
        sys.exit(1 if bad else 0)
    for f, t in want.items():
        with open(f, 'w') as fp:
            fp.write(t)


if __name__ == '__main__':
    main()
