/*
 * limits.h - what one configuration may cost (config.h LIMITS).
 *
 * libconfig 1.5 spends time quadratic in the length of one token (its
 * scanner rescans a token from its start each time it refills its buffer:
 * a 10 MB string, comment line or run of blanks takes about 43 s, 1 MB
 * 0.4 s) and in the number of settings of one group (each new member is
 * compared with all before it: 20,000 take 3 s, 80,000 45 s), and ends the
 * process on an @include of a directory.  These bounds keep every input
 * within about a second and a few hundred MB, far above what a real
 * inventory needs: the 2,000-host, 20,000-ref bench inventory is 3.5 MB with
 * 24 settings in its largest group.
 */
#ifndef PLAN_LIMITS_H
#define PLAN_LIMITS_H

/* The configuration with everything it @includes (each inclusion counted). */
#define PLAN_CFG_MAX_BYTES (16u << 20)
/* One token: a string (its quotes included, adjacent strings each on their
   own), a comment line, a run of blanks, a name or number. */
#define PLAN_CFG_MAX_TOKEN (64u << 10)
/* Settings in one group (the top level included): no group of SPEC 4 holds
   more than 24 known ones. */
#define PLAN_CFG_MAX_MEMBERS 100
/* Groups, lists and arrays inside one another. */
#define PLAN_CFG_MAX_DEPTH 64
/* @include directives processed in all (each inclusion counted), and
   inclusions inside one another (libconfig 1.5 stops at 10). */
#define PLAN_CFG_MAX_INCLUDES 1000
#define PLAN_CFG_MAX_INCLUDE_DEPTH 10

#endif
