/* Rate-limited log lines (ratelog.h). */
#include "ratelog.h"

int
ratelog_due(struct ratelog *r, int64_t now_ms, int interval_ms,
    long long *suppressed)
{
	if (now_ms >= r->window_end) {
		r->window_end = now_ms + interval_ms;
		r->written = 0;
	}
	if (r->written >= RATELOG_BURST) {
		r->suppressed++;
		return 0;
	}
	r->written++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return 1;
}
