/*
 * clock.h -- the monotonic clock every deadline is measured on.
 *
 * A leaf module: it includes nothing of postern's, so net.c, tls.c and the
 * SMTP client can all measure deadlines without including each other.
 */
#ifndef POSTERN_CLOCK_H
#define POSTERN_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC; only differences are meaningful. */
long long	clock_now_ms(void);

#endif
