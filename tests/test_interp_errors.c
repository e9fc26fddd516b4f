/* The checker's diagnostics: every rule of PROGRAMS.md rejects a program with the exact
 * line, column and message (table below: one bad program a row), and a file with many
 * mistakes gets all of them reported, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/interp.h"

/* 64 words, for a line longer than the parser takes */
#define WORDS_8 "w w w w w w w w "
#define WORDS_64 WORDS_8 WORDS_8 WORDS_8 WORDS_8 WORDS_8 WORDS_8 WORDS_8 WORDS_8

struct bad_program {
	const char *src;
	const char *expect; /* "LINE:COL: error: MESSAGE" lines, all of them, in order */
};

static const struct bad_program bad[] = {
	{"program \"T\"\nkneed lower-back for 1m\n",
	 "2:1: error: unknown technique 'kneed'; did you mean 'knead'?"},
	{"program \"T\"\nKnead lower-back for 1m\n",
	 "2:1: error: unknown technique 'Knead'; did you mean 'knead'?"},
	{"program \"T\"\nreclin relax\n",
	 "2:1: error: unknown statement 'reclin'; did you mean 'recline'?"},
	{"program \"T\"\nfrobnicate\n",
	 "2:1: error: unknown technique 'frobnicate'"},
	{"program \"T\"\nknead lower-bak for 1m\n",
	 "2:7: error: unknown landmark 'lower-bak'; did you mean 'lower-back'?"},
	{"program \"T\"\nknead l4 for 1m\n",
	 "2:7: error: unknown landmark 'l4'; did you mean 'L4'?"},
	{"program \"T\"\nknead lower-back sped 4 for 1m\n",
	 "2:18: error: unknown option 'sped' for knead; did you mean 'speed'?"},
	{"program \"T\"\nknead lower-back rate 4 for 1m\n",
	 "2:18: error: knead takes no 'rate'; it takes width, speed, depth, pressure, for"},
	{"program \"T\"\nknead lower-back speed 11 for 1m\n",
	 "2:24: error: speed 11 is out of range (1 to 10)"},
	{"program \"T\"\nknead lower-back speed 0 for 1m\n",
	 "2:24: error: speed 0 is out of range (1 to 10)"},
	{"program \"T\"\nknead lower-back pressure 11 for 1m\n",
	 "2:27: error: pressure 11 is out of range (1 to 10)"},
	{"program \"T\"\nknead lower-back for 1m speed 3 speed 4\n",
	 "2:33: error: 'speed' given twice"},
	{"program \"T\"\nknead lower-back depth 3 pressure 3 for 1m\n",
	 "2:26: error: 'depth' and 'pressure' cannot both be given: depth sets a position, pressure a force"},
	{"program \"T\"\nknead lower-back speed 3\n",
	 "2:25: error: missing 'for DURATION': knead needs a duration"},
	{"program \"T\"\nknead for 1m\n",
	 "2:7: error: expected a zone after 'knead', got 'for'"},
	{"program \"T\"\nknead lower-back width wid for 1m\n",
	 "2:24: error: unknown width 'wid'; did you mean 'wide'?"},
	{"program \"T\"\nknead lower-back for 45\n",
	 "2:22: error: expected a duration like '45s', '2m' or '1m30s' after 'for', got '45'"},
	{"program \"T\"\nknead lower-back for 1h\n",
	 "2:22: error: expected a duration like '45s', '2m' or '1m30s' after 'for', got '1h'"},
	{"program \"T\"\nknead lower-back for 500ms\n",
	 "2:22: error: duration 500ms is too short; at least 1s"},
	{"program \"T\"\nknead lower-back speed 2.5 for 1m\n",
	 "2:24: error: expected a whole number after 'speed', got '2.5'"},
	{"program \"T\"\nknead lower-back speed 99999999999999 for 1m\n",
	 "2:24: error: number '99999999999999' is too large"},
	{"program \"T\"\nknead lower-back speed fast for 1m\n",
	 "2:24: error: expected a number after 'speed', got 'fast'"},
	{"program \"T\"\ntap lower-back rate 11 for 1m\n",
	 "2:21: error: rate 11 is out of range (1 to 10)"},
	{"program \"T\"\ntap lower-back speed 3 for 1m\n",
	 "2:16: error: tap takes no 'speed'; it takes rate, depth, pressure, for"},
	{"program \"T\"\nshiatsu lower-back depth 3 for 1m\n",
	 "2:20: error: shiatsu takes no 'depth'; it takes pressure, hold, for"},
	{"program \"T\"\nshiatsu lower-back hold 2m for 3m\n",
	 "2:25: error: hold 2m is too long; at most 1m"},
	{"program \"T\"\nroll lower-back speed 3\n",
	 "2:24: error: missing 'for DURATION' or 'times N': roll needs one of them"},
	{"program \"T\"\nroll lower-back for 1m times 3\n",
	 "2:24: error: roll takes 'for' or 'times', not both"},
	{"program \"T\"\nroll lower-back times 101\n",
	 "2:23: error: times 101 is out of range (1 to 100)"},
	{"program \"T\"\nglide lower-back speed 2\n",
	 "2:7: error: glide needs a range 'POINT..POINT', the stroke's start and end"},
	{"program \"T\"\nglide L4..L4 speed 2\n",
	 "2:7: error: the range 'L4..L4' is empty"},
	{"program \"T\"\nglide L1..L5 for 1m\n",
	 "2:14: error: glide takes no 'for'; it takes speed, depth, pressure"},
	{"program \"T\"\ntrigger-point L4 hold 30s\n",
	 "2:26: error: missing 'pressure LEVEL': trigger-point needs a pressure"},
	{"program \"T\"\ntrigger-point L4 pressure 5\n",
	 "2:28: error: missing 'hold DURATION': trigger-point needs a hold time"},
	{"program \"T\"\ntrigger-point L1..L4 pressure 5 hold 30s\n",
	 "2:19: error: trigger-point presses one point, not a range"},
	{"program \"T\"\ntrigger-point L4 pressure 5 ramp 90s hold 30s\n",
	 "2:34: error: ramp 1m30s is too long; at most 1m"},
	{"program \"T\"\ntrigger-point L4 pressure 5 hold 3m\n",
	 "2:34: warning: a trigger-point hold over 2m is unusually long"},
	{"program \"T\"\nstretch level 6 for 1m\n",
	 "2:15: error: stretch level 6 is out of range (1 to 5)"},
	{"program \"T\"\nstretch level 2\n",
	 "2:16: error: missing 'for DURATION': stretch needs a duration"},
	{"program \"T\"\nair calves level 6\n",
	 "2:18: error: air level 6 is out of range (1 to 5)"},
	{"program \"T\"\nair calves\n",
	 "2:11: error: missing 'level 1-5': air needs a level"},
	{"program \"T\"\nair calf level 2\n",
	 "2:5: error: unknown air zone 'calf'; zones are shoulders, arms, waist, seat, calves, feet"},
	{"program \"T\"\nair calves, calves level 2\n",
	 "2:13: error: air zone 'calves' listed twice"},
	{"program \"T\"\nair calves level 2 cycle 1s\n",
	 "2:26: error: cycle 1s is too short; at least 4s"},
	/* each zone's share of the cycle must let the shared vent empty the zone before and
	 * the pump fill this one (docs/programs.md) */
	{"program \"T\"\nair calves, feet level 5 cycle 4s\n",
	 "2:32: error: cycle 4s is too short for 2 air zones at level 5: each gets 2s but needs 6.7s (2.7s for the shared vent to empty the zone before, 4s to fill to 40 kPa); use 'cycle 14s' or longer"},
	{"program \"T\"\nair shoulders, arms, waist, seat, calves, feet level 5 cycle 20s\n",
	 "2:62: error: cycle 20s is too short for 6 air zones at level 5: each gets 3.3s but needs 6.7s (2.7s for the shared vent to empty the zone before, 4s to fill to 40 kPa); use 'cycle 41s' or longer"},
	{"program \"T\"\nair shoulders, arms, waist, seat, calves, feet level 5\n",
	 "2:55: error: the default cycle of 20s is too short for 6 air zones at level 5: each gets 3.3s but needs 6.7s (2.7s for the shared vent to empty the zone before, 4s to fill to 40 kPa); add 'cycle 41s' or longer"},
	{"program \"T\"\nair calves, feet level 3 cycle 8s\npause 10s\nair off\n",
	 "2:32: error: cycle 8s is too short for 2 air zones at level 3: each gets 4s but needs 4.9s (2.5s for the shared vent to empty the zone before, 2.4s to fill to 24 kPa); use 'cycle 10s' or longer"},
	{"program \"T\"\nrepeat 2\n  air waist, seat, calves level 4 cycle 15s\n  pause 1m\nend\n",
	 "3:41: error: cycle 15s is too short for 3 air zones at level 4: each gets 5s but needs 5.8s (2.6s for the shared vent to empty the zone before, 3.2s to fill to 32 kPa); use 'cycle 18s' or longer"},
	{"program \"T\"\nheat lumbar on 45c\n",
	 "2:16: error: heat 45c is above the chair's maximum of 41c"},
	{"program \"T\"\nheat lumbar on 41c\n",
	 "2:16: warning: heat 41c is above 40c; most people find it hot"},
	{"program \"T\"\nheat lumbar on 20c\n",
	 "2:16: error: heat 20c is below 30c: that is not heating"},
	{"program \"T\"\nheat lumbar\n",
	 "2:12: error: expected 'on' or 'off' after the heater, got the end of the line"},
	{"program \"T\"\nheat back on\n",
	 "2:6: error: unknown heater 'back'; one of lumbar, calves, all"},
	{"program \"T\"\nheat lumbar on 40\n",
	 "2:16: error: expected a temperature like '40c', got '40'"},
	{"program \"T\"\nrecline flat\n",
	 "2:9: error: unknown recline position 'flat'; one of upright, relax, zero-gravity"},
	{"program \"T\"\npause\n",
	 "2:6: error: expected a duration like '45s', '2m' or '1m30s' after 'pause', got the end of the line"},
	{"program \"T\"\npause 50ms\n",
	 "2:7: error: pause 50ms is too short; at least 100ms"},
	{"program \"T\"\nrepeat 0\nknead lower-back for 1m\nend\n",
	 "2:8: error: repeat count 0 is out of range (1 to 100)"},
	{"program \"T\"\nrepeat 101\nknead lower-back for 1m\nend\n",
	 "2:8: error: repeat count 101 is out of range (1 to 100)"},
	{"program \"T\"\nrepeat 2\nknead lower-back for 1m\n",
	 "2:1: error: 'repeat' without a matching 'end'"},
	{"program \"T\"\nknead lower-back for 1m\nend\n",
	 "3:1: error: 'end' without a 'repeat'"},
	{"program \"T\"\nrepeat 2\nrepeat 2\nrepeat 2\nrepeat 2\nrepeat 2\npause 1s\nend\nend\nend\nend\nend\n",
	 "6:1: error: repeat nested more than 4 deep"},
	{"program \"T\"\nknead lower-back for 29m\nknead upper-back for 2m\n",
	 "3:1: error: the program runs 31m17s, over the session limit of 30m; it passes the limit here"},
	{"program \"T\"\nknead thighs+600mm for 1m\n",
	 "2:7: error: 'thighs+600mm' is off the track (0 to 1300 mm) for every body the chair supports"},
	{"program \"T\"\nknead neck-120mm for 1m\n",
	 "2:7: warning: 'neck-120mm' is off the track for some bodies (at -90 mm for a 200 cm person)"},
	{"program \"T\"\nknead lower-back pressure 8 for 1m\n",
	 "2:27: error: pressure 8 needs 'level deep' (a normal program goes up to 7)"},
	{"program \"T\"\nlevel gentle\nknead lower-back pressure 5 for 1m\n",
	 "3:27: error: pressure 5 is more than 'level gentle' allows (up to 4)"},
	{"program \"T\"\nknead track 420mm for 1m\n",
	 "2:7: error: 'track' positions need 'level deep'"},
	{"program \"T\"\nlevel deep\nknead track 420mm+10mm for 1m\n",
	 "3:18: error: a 'track' position takes no offset"},
	{"program \"T\"\nlevel deep\nknead track 2000mm for 1m\n",
	 "3:7: error: 'track 2000mm' is off the track (0 to 1300 mm) for every body the chair supports"},
	{"program \"T\"\nknead L4+20 for 1m\n",
	 "2:10: error: expected a length like '20mm' or '3cm' after '+', got '20'"},
	{"program \"T\"\nprogram \"U\"\nknead lower-back for 1m\n",
	 "2:1: error: repeated 'program' (the first is at line 1)"},
	{"knead lower-back for 1m\n",
	 "1:1: error: missing 'program \"NAME\"': a program starts by naming itself"},
	{"program \"T\"\nknead lower-back for 1m\ndescription \"late\"\n",
	 "3:1: error: 'description' belongs in the header, before the first statement (line 2)"},
	{"program \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\nknead lower-back for 1m\n",
	 "1:9: error: the program's name is 70 bytes long; at most 64 are allowed"},
	{"program \"\"\nknead lower-back for 1m\n",
	 "1:9: error: the program's name is empty"},
	{"program \"T\nknead lower-back for 1m\n",
	 "1:9: error: unterminated string"},
	{"program \"a\\qb\"\nknead lower-back for 1m\n",
	 "1:11: error: unknown escape '\\q' in string; only '\\\"' and '\\\\' exist"},
	{"program \"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"\nknead lower-back for 1m\n",
	 "1:9: error: string is 210 bytes long; at most 200 are allowed"},
	{"program T\nknead lower-back for 1m\n",
	 "1:9: error: expected the program's name in double quotes, got 'T'"},
	{"program \"T\"\nlevel medium\nknead lower-back for 1m\n",
	 "2:7: error: unknown level 'medium'; one of gentle, normal, deep"},
	{"program \"T\"\ntags back-pain chronic\nknead lower-back for 1m\n",
	 "2:16: error: expected ',' between tags, got 'chronic'"},
	{"program \"T\"\ntags 3\nknead lower-back for 1m\n",
	 "2:6: error: expected a tag word, got '3'"},
	{"program \"T\"\nphase Warm\nknead lower-back for 1m\n",
	 "2:7: error: expected the phase's name in double quotes, got 'Warm'"},
	{"program \"T\"\nknead lower-back for 1m extra\n",
	 "2:25: error: unknown option 'extra' for knead; it takes width, speed, depth, pressure, for"},
	{"program \"T\"\nknead lower-back for 1m ;\n",
	 "2:25: error: unexpected character ';'"},
	{"program \"T\"\nend 3\n",
	 "2:1: error: 'end' without a 'repeat'\n2:5: error: unexpected '3' after 'end'"},
	{"program \"T\"\nair off now\n",
	 "2:9: error: unexpected 'now' after 'air'"},
	{"program \"T\"\n",
	 "1:1: error: the program has no statements: nothing to do"},
	{"program \"T\"\n3 knead\n",
	 "2:1: error: expected a statement, got '3'"},
	{"program \"T\"\nknead lower-back for 1m\nknead lower-back for 5m\nknead lower-back for 5m\n",
	 "4:1: warning: 'lower-back' is worked for more than 10m in a row"},
	{"program \"T\"\ntap lower-back rate 5 for 1m\n\xff""\n",
	 "3:1: error: file is not valid UTF-8 (byte 0xff)\n3:1: error: unexpected character (byte 0xff)"},
	{"program \"T\"\nknead lower-back for 30s1m\n",
	 "2:22: error: expected a duration like '45s', '2m' or '1m30s' after 'for', got '30s1m'"},
	{"program \"T\"\nroll neck..thighs+900mm for 1m\n",
	 "2:12: error: 'thighs+900mm' is off the track (0 to 1300 mm) for every body the chair supports"},
	{"program \"T\"\nknead lower-back fro 1m\n",
	 "2:18: error: unknown option 'fro' for knead; did you mean 'for'?"},
	{"program \"T\"\nknead lower-back for\n",
	 "2:21: error: expected a duration like '45s', '2m' or '1m30s' after 'for', got the end of the line"},
	{"program \"T\"\nknead lower-back for 1.5s\n",
	 "2:22: error: expected a duration like '45s', '2m' or '1m30s' after 'for', got '1.5s'"},
	{"program \"T\"\nknead lower-back for 99999999999m\n",
	 "2:22: error: duration '99999999999m' is too long"},
	{"program \"T\"\nknead\n",
	 "2:6: error: expected a zone after 'knead', got the end of the line"},
	{"program \"T\"\nknead L4+99999999mm for 1m\n",
	 "2:10: error: offset '99999999mm' is too large"},
	{"program \"T\"\nlevel deep\nknead track for 1m\n",
	 "3:13: error: expected a position like '420mm' after 'track', got 'for'"},
	{"program \"T\"\nair\n",
	 "2:4: error: expected an air zone or 'off' after 'air', got the end of the line"},
	{"program \"T\"\ntap lower-back depth 2 pressure 2 for 1m\n",
	 "2:24: error: 'depth' and 'pressure' cannot both be given: depth sets a position, pressure a force"},
	{"program \"T\"\nknead-tap lower-back rate 3 for 1m\n",
	 "2:22: error: knead-tap takes no 'rate'; it takes width, speed, depth, pressure, for"},
	{"program \"T\"\nknead lower-back width for 1m\n",
	 "2:24: error: expected a width, got 'for'"},
	{"program \"T\"\nshiatsu lower-back pressure 5 hold 500ms for 1m\n",
	 "2:36: error: hold 500ms is too short; at least 1s"},
	{"program \"T\"\ntrigger-point L4 pressure 5 hold 30s release 0s\n",
	 "2:46: error: release 0s is too short; at least 1s"},
	{"program \"T\"\nroll neck..sacrum times 0\n",
	 "2:25: error: times 0 is out of range (1 to 100)"},
	{"program \"T\"\nglide L1..L5 speed 2 depth 11\n",
	 "2:28: error: depth 11 is out of range (1 to 10)"},
	{"program \"T\"\nstretch for 10m\nstretch for 10m\nstretch for 11m\n",
	 "4:1: error: the program runs 31m, over the session limit of 30m; it passes the limit here"},
	{"program \"T\"\nrecline zero-gravty\n",
	 "2:9: error: unknown recline position 'zero-gravty'; did you mean 'zero-gravity'?"},
	{"program \"T\"\nlevel deeep\nknead lower-back for 1m\n",
	 "2:7: error: unknown level 'deeep'; did you mean 'deep'?"},
	{"program \"T\"\nheat lumbar on 40c\nheat calves of\n",
	 "3:13: error: expected 'on' or 'off' after the heater, got 'of'"},
	{"program \"T\"\nphase \"A\" extra\nknead lower-back for 1m\n",
	 "2:11: error: unexpected 'extra' after 'phase'"},
	{"description \"d\"\nknead lower-back for 1m\n",
	 "1:1: error: missing 'program \"NAME\"': a program starts by naming itself"},
	{"program \"T\"\ndescription \"a\"\ndescription \"b\"\nknead lower-back for 1m\n",
	 "3:1: error: repeated 'description' (the first is at line 2)"},
	{"program \"T\"\nrepeat\nknead lower-back for 1m\nend\n",
	 "2:7: error: expected a number after 'repeat', got the end of the line"},
	{"program \"T\"\nrepeat two\nknead lower-back for 1m\nend\n",
	 "2:8: error: expected a number after 'repeat', got 'two'"},
	{"program \"T\"\nknead lower-back for 1m\n  knead L4..L4 for 1m\n",
	 "3:9: error: the range 'L4..L4' is empty"},
	{"program \"T\"\nknead lower-back, upper-back for 1m\n",
	 "2:17: error: knead works one zone, not a list; for several, write a range 'A..B'"},
	{"program \"T\"\nair calves level 2 cycle 10m\n",
	 "2:26: error: cycle 10m is too long; at most 5m"},
	{"program \"T\"\nknead lower-back speed -3 for 1m\n",
	 "2:24: error: speed -3 is out of range (1 to 10)"},
	{"program \"T\"\ntrigger-point L4 depth 3 hold 30s\n",
	 "2:18: error: trigger-point takes no 'depth'; it takes pressure, hold, ramp, release"},
	/* rows for every remaining diagnostic of the lexer and parser */
	{"program \"T\"\nknead 3 for 1m\n",
	 "2:7: error: expected a landmark (like 'lower-back' or 'L4'), got '3'"},
	{"program \"T\"\nknead L4..3 for 1m\n",
	 "2:11: error: expected a landmark (like 'lower-back' or 'L4'), got '3'"},
	{"program \"T\"\nknead +3mm for 1m\n",
	 "2:7: error: expected a landmark (like 'lower-back' or 'L4'), got '+'"},
	/* after '..' an option's word is not a landmark: the point is missing, once */
	{"program \"T\"\nknead L4.. for 1m\n",
	 "2:12: error: expected a point after '..', got 'for'"},
	{"program \"T\"\nglide L1..speed 3\n",
	 "2:11: error: expected a point after '..', got 'speed'"},
	{"program \"T\"\nknead L4..\n",
	 "2:11: error: expected a point after '..', got the end of the line"},
	{"program \"T\"\nlevel deep\nknead track 200000mm for 1m\n",
	 "3:13: error: track position '200000mm' is too large"},
	{"program \"T\"\nglide L4..track 600mm\n",
	 "2:11: error: 'track' positions need 'level deep'"},
	{"program \"T\"\nknead frobnicate for 1m\n",
	 "2:7: error: unknown landmark 'frobnicate'"},
	{"program \"T\"\ntrigger-point pressure 5 hold 30s\n",
	 "2:15: error: expected a point after 'trigger-point', got 'pressure'"},
	{"program \"T\"\nknead lower-back for 1m 5\n",
	 "2:25: error: unexpected '5'; knead takes width, speed, depth, pressure, for"},
	{"program \"T\"\nknead lower-back speed 3x for 1m\n",
	 "2:24: error: expected a number after 'speed', got '3x'"},
	{"program \"T\"\nair calves,\n",
	 "2:12: error: expected an air zone or 'off' after ',', got the end of the line"},
	{"program \"T\"\nair feat level 2\n",
	 "2:5: error: unknown air zone 'feat'; did you mean 'seat'?"},
	{"program \"T\"\nheat lumbar on 9999c\n",
	 "2:16: error: temperature '9999c' is too large"},
	{"program \"T\"\nknead lower-back for 1m\n" WORDS_64 WORDS_64 "\n",
	 "3:255: error: line has more than 127 words"},
	/* a backslash at the end of a line leaves the string unterminated: one error, why */
	{"program \"a\\\nknead lower-back for 1m\n",
	 "1:11: error: '\\' at the end of a line"},
	{"program \"a\\\r\nknead lower-back for 1m\n",
	 "1:11: error: '\\' at the end of a line"},
	{"program \"a\\\xc3\xa9\"\nknead lower-back for 1m\n",
	 "1:11: error: unknown escape in string; only '\\\"' and '\\\\' exist"},
	{"program \"T\"\nknead lower-back for 1m\nknead \xc3\xa9 for 1m\n",
	 "3:7: error: unexpected character (byte 0xc3)"},
};

/* Every diagnostic of src as "LINE:COL: SEVERITY: MESSAGE" lines. */
static void diagnose(const char *src, size_t len, char *out, size_t n)
{
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	assert_non_null(d);
	interp_diags_init(d, "t.prog");
	struct plan *p = NULL;
	interp_load(src, len, "t.prog", &lim, d, &p);
	plan_free(p);
	size_t used = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < d->count; i++) {
		char line[512];
		interp_diag_format(d, i, line, sizeof(line));
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "\n" : "",
					 line + strlen("t.prog:"));
	}
	free(d);
}

static void test_every_bad_program_gets_its_exact_line_column_and_message(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[4096];
		diagnose(bad[i].src, strlen(bad[i].src), got, sizeof(got));
		if (strcmp(got, bad[i].expect) != 0) {
			print_error("case %zu: %s\n  expected: %s\n  got:      %s\n", i, bad[i].src,
				    bad[i].expect, got);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_table_holds_at_least_fifty_bad_programs(void **state)
{
	(void)state;
	int errors = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		errors += strstr(bad[i].expect, ": error: ") != NULL;
	assert_true(errors >= 50);
}

static void test_all_errors_of_a_file_are_reported_in_order(void **state)
{
	(void)state;
	const char *src = "program \"Many mistakes\"\n"
			  "kneed lower-back for 1m\n"
			  "knead lower-bak for 1m\n"
			  "knead lower-back speed 11 for 1m\n"
			  "tap upper-back rate 4\n"
			  "heat lumbar on 45c\n"
			  "repeat 2\n"
			  "  roll neck..sacrum speed 3 for 1m\n";
	char got[4096];
	diagnose(src, strlen(src), got, sizeof(got));
	assert_string_equal(got,
			    "2:1: error: unknown technique 'kneed'; did you mean 'knead'?\n"
			    "3:7: error: unknown landmark 'lower-bak'; did you mean 'lower-back'?\n"
			    "4:24: error: speed 11 is out of range (1 to 10)\n"
			    "5:22: error: missing 'for DURATION': tap needs a duration\n"
			    "6:16: error: heat 45c is above the chair's maximum of 41c\n"
			    "7:1: error: 'repeat' without a matching 'end'");
}

static void test_diagnostic_lines_read_like_a_compiler(void **state)
{
	(void)state;
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "programs/x.prog");
	struct plan *p = NULL;
	const char *src = "program \"x\"\nkneed lower-back for 1m\n";
	assert_int_equal(interp_load(src, strlen(src), "programs/x.prog", &lim, d, &p), -EINVAL);
	assert_null(p);
	char line[512];
	interp_diag_format(d, 0, line, sizeof(line));
	assert_string_equal(line, "programs/x.prog:2:1: error: unknown technique 'kneed'; "
				  "did you mean 'knead'?");
	free(d);
}

static void test_warnings_do_not_stop_a_program(void **state)
{
	(void)state;
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "w.prog");
	struct plan *p = NULL;
	const char *src = "program \"w\"\nheat lumbar on 41c\n"
			  "trigger-point L4 pressure 5 hold 2m30s\n";
	assert_int_equal(interp_load(src, strlen(src), "w.prog", &lim, d, &p), 0);
	assert_non_null(p);
	assert_int_equal(d->errors, 0);
	assert_int_equal(d->warnings, 2);
	plan_free(p);
	free(d);
}

/* The cycle an air-slot error suggests is the shortest that checks clean: a second less
 * is rejected, for every number of zones and level. A single zone only fills. */
static int air_errors(int zones, int level, uint32_t cycle_s, char *msg, size_t n)
{
	static const char *const names[] = {"shoulders", "arms", "waist", "seat", "calves", "feet"};
	char src[256];
	int len = snprintf(src, sizeof(src), "program \"T\"\nair ");
	for (int z = 0; z < zones; z++)
		len += snprintf(src + len, sizeof(src) - (size_t)len, "%s%s", z ? ", " : "", names[z]);
	snprintf(src + len, sizeof(src) - (size_t)len, " level %d cycle %us\npause 1m\n", level,
		 (unsigned)cycle_s);
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	assert_non_null(d);
	interp_diags_init(d, "t.prog");
	struct plan *p = NULL;
	interp_load(src, strlen(src), "t.prog", &lim, d, &p);
	plan_free(p);
	int errors = (int)d->errors;
	if (msg)
		snprintf(msg, n, "%s", d->count ? d->item[0].msg : "");
	free(d);
	return errors;
}

static void test_an_air_cycle_error_suggests_the_shortest_cycle_that_checks(void **state)
{
	(void)state;
	struct interp_limits lim;
	interp_limits_default(&lim);
	/* the reference chair: 10 kPa/s, vent tau 0.4 s down to 0.05 kPa */
	assert_true(lim.pump_kpa_s == 10.0 && lim.vent_tau_s == 0.4 && lim.vent_empty_kpa == 0.05);
	assert_int_equal(interp_fill_ms(&lim, 1, 40.0), 4000);
	assert_int_equal(interp_fill_ms(&lim, 4, 40.0), 16000);
	assert_int_equal(interp_vent_ms(&lim, 40.0), 2674); /* 0.4 s x ln(40 / 0.05) */
	assert_int_equal(interp_air_slot_min_ms(&lim, 1, 5), 4000);
	assert_int_equal(interp_air_slot_min_ms(&lim, 2, 5), 6674);
	assert_int_equal(interp_air_slot_min_ms(&lim, 2, 2), 3908); /* 2.3 s + 1.6 s */
	for (int zones = 1; zones <= 6; zones++) {
		for (int level = 1; level <= 5; level++) {
			uint64_t min_ms = (uint64_t)zones * interp_air_slot_min_ms(&lim, zones, level);
			uint32_t fix_s = (uint32_t)((min_ms + 999) / 1000);
			if (fix_s < 4)
				fix_s = 4; /* the shortest cycle there is */
			assert_int_equal(air_errors(zones, level, fix_s, NULL, 0), 0);
			if (fix_s == 4)
				continue;
			char msg[INTERP_MSG_MAX], want[32];
			assert_int_equal(air_errors(zones, level, fix_s - 1, msg, sizeof(msg)), 1);
			snprintf(want, sizeof(want), "'cycle %us'", (unsigned)fix_s);
			assert_non_null(strstr(msg, want));
			assert_non_null(strstr(msg, " or longer"));
		}
	}
}

static void test_chair_config_can_lower_the_limits(void **state)
{
	(void)state;
	struct interp_limits lim;
	interp_limits_default(&lim);
	lim.heat_max_c = 39.0;
	lim.heat_warn_c = 38.0;
	lim.session_max_ms = 5 * 60 * 1000;
	char got[4096];
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "t.prog");
	struct plan *p = NULL;
	const char *src = "program \"t\"\nheat lumbar on 40c\nknead lower-back for 6m\n";
	interp_load(src, strlen(src), "t.prog", &lim, d, &p);
	assert_null(p);
	assert_int_equal(d->errors, 2);
	snprintf(got, sizeof(got), "%s|%s", d->item[0].msg, d->item[1].msg);
	assert_string_equal(got, "heat 40c is above the chair's maximum of 39c|the program runs 6m10s, "
				 "over the session limit of 5m; it passes the limit here");
	free(d);
}

/* What is wrong with a file as a whole is reported at 1:1; past INTERP_DIAG_MAX
 * diagnostics a note says how many there were in all. */
static void test_whole_file_diagnostics_and_the_note_on_dropped_ones(void **state)
{
	(void)state;
	size_t big_len = 256u * 1024u + 1u;
	char *big = malloc(big_len);
	assert_non_null(big);
	memset(big, '#', big_len);
	char got[4096];
	diagnose(big, big_len, got, sizeof(got));
	assert_string_equal(got, "1:1: error: file is 262145 bytes long; at most 262144 are allowed");
	free(big);

	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	assert_non_null(d);
	interp_diags_init(d, "/nonexistent/x.prog");
	struct plan *p = NULL;
	assert_int_not_equal(interp_load_file("/nonexistent/x.prog", &lim, d, &p), 0);
	assert_int_equal(d->count, 1);
	interp_diag_format(d, 0, got, sizeof(got));
	assert_string_equal(got, "/nonexistent/x.prog:1:1: error: cannot read the file: "
				 "No such file or directory");

	/* 250 unknown statements: 200 kept, all 250 counted */
	size_t many_len = 0;
	char *many = malloc(250 * 8 + 32);
	assert_non_null(many);
	many_len += (size_t)sprintf(many, "program \"T\"\n");
	for (int i = 0; i < 250; i++)
		many_len += (size_t)sprintf(many + many_len, "frob\n");
	interp_diags_init(d, "t.prog");
	interp_load(many, many_len, "t.prog", &lim, d, &p);
	assert_int_equal(d->count, INTERP_DIAG_MAX);
	char *printed = NULL;
	size_t printed_len = 0;
	FILE *f = open_memstream(&printed, &printed_len);
	assert_non_null(f);
	interp_diags_print(d, f);
	fclose(f);
	const char *note = "t.prog: note: 250 errors and 0 warnings in all; only the first 200 "
			   "are shown\n";
	assert_true(printed_len > strlen(note));
	assert_string_equal(printed + printed_len - strlen(note), note);
	free(printed);
	free(many);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_bad_program_gets_its_exact_line_column_and_message),
		cmocka_unit_test(test_table_holds_at_least_fifty_bad_programs),
		cmocka_unit_test(test_all_errors_of_a_file_are_reported_in_order),
		cmocka_unit_test(test_diagnostic_lines_read_like_a_compiler),
		cmocka_unit_test(test_warnings_do_not_stop_a_program),
		cmocka_unit_test(test_an_air_cycle_error_suggests_the_shortest_cycle_that_checks),
		cmocka_unit_test(test_chair_config_can_lower_the_limits),
		cmocka_unit_test(test_whole_file_diagnostics_and_the_note_on_dropped_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
