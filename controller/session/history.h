/* The pain trend of a person's sessions, computed from the history document (the JSON the
 * session layer builds from the store for history.list and report.export): per area, the
 * scores before and after each session, and the change from the first score before to the
 * last score after. A drop of 30 % or more is the clinically meaningful change (the IMMPACT
 * recommendation for chronic pain), so the trend marks it; it makes no other claim. */
#ifndef SESSION_HISTORY_H
#define SESSION_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The clinically meaningful drop of pain, percent of the first score. */
#define HISTORY_MEANINGFUL_PCT 30.0

/* The change from first_before to last_after in percent of first_before (positive: less
 * pain). False when it has no meaning (first_before is 0: nothing to drop from). */
bool history_change_pct(double first_before, double last_after, double *change_pct);

/* Whether a change (as history_change_pct gives it) is the clinically meaningful drop:
 * 30 % or more, 30 % itself included. */
bool history_is_meaningful(double change_pct);

/* The trend of history["sessions"] (oldest first) as a new JSON array, one object per area
 * scored in any session, in the order of enum area:
 *   {"area": "lower-back",
 *    "points": [{"session_id": 3, "start_s": 1796000000.0, "before": 6, "after": 3}, ...],
 *    "first_before": 6, "last_after": 3, "change_pct": 50.0, "meaningful": true,
 *    "direction": "better" | "worse" | "unchanged"}
 * "before"/"after" of a point may be null (not given); first_before is the first session's
 * score before that has one, last_after the last session's score after that has one; when
 * either is missing or first_before is 0, change_pct and direction are null and meaningful is
 * false. NULL with a message naming the field when the document is malformed (sessions not
 * an array, an unknown area, a score outside 0..10, an area scored twice in one session). */
json_t *history_trend(const json_t *history, char *err, size_t err_len);

/* Sets history["trend"] to history_trend(history): 0, or -EINVAL with the message above,
 * or -ENOMEM. */
int history_add_trend(json_t *history, char *err, size_t err_len);

#endif
