/*
 * The systemd notification protocol (sd_notify(3), "Type=notify"), by
 * hand so that award-fcgi needs no libsystemd: one datagram per message
 * to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract
 * name written with a leading '@'). Without $NOTIFY_SOCKET every call is
 * a no-op. Not the place for what to say when: fcgi/main.c decides.
 */
#ifndef AWARD_SDNOTIFY_H
#define AWARD_SDNOTIFY_H

#include <stdint.h>

/*
 * Send msg ("READY=1", "WATCHDOG=1", "STOPPING=1", newline-separated
 * assignments) to $NOTIFY_SOCKET. Returns 0 when sent or when there is
 * no socket to send to, -1 when sending failed (errno set).
 */
int	sdnotify(const char *msg);

/*
 * The watchdog ping interval in milliseconds: half of $WATCHDOG_USEC when
 * it is set and $WATCHDOG_PID is unset or names this process; 0 when no
 * watchdog is asked for.
 */
int64_t	sdnotify_watchdog_ms(void);

/* "RELOADING=1" with MONOTONIC_USEC (systemd's Type=notify-reload). */
int	sdnotify_reloading(void);

#endif
