/* The chair's configuration: every number of the reference chair (CHAIR.md) as a
 * default, overridable from one INI file, validated completely before anything starts. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../drivers/hal.h"
#include "motion/targets.h"

/* A linear axis driven by a drive in velocity mode with the controller's position loop. */
struct axis_config {
	double min_mm;
	double max_mm;
	double speed_min_mm_s;
	double speed_max_mm_s;
	double accel_mm_s2;
	double jerk_mm_s3;
	double position_scale_mm; /* one position count, mm (or deg for rotary axes) */
	double velocity_scale;    /* one velocity count, mm/s (or rpm) */
	double kp_per_s;          /* position loop gain: mm/s of correction per mm of error */
	int current_limit_ma;
	double stall_s;           /* commanded to move, encoder still: stall or encoder loss */
	double stall_move_mm;     /* movement that proves the encoder is alive */
	double home_speed_mm_s;
	double home_slow_mm_s;
	double home_timeout_s;
	double max_temp_c;        /* drive temperature fault */
};

struct rotary_config {
	double max_rpm;
	double velocity_scale; /* rpm per count */
	int current_limit_ma;
	double stall_s;
	double max_temp_c;
};

struct force_config {
	double max_n;           /* chair hard limit, technician only */
	double scale_n;         /* one force count, N */
	double kp_mm_s_per_n;   /* force loop: extension speed per N of error */
	double ki_mm_s2_per_n;
	double release_speed_mm_s;
	double release_over_n;  /* past the target by this much, the roller backs off at release speed */
	double slew_n_s;        /* how fast a force target may change */
	double over_force_margin_n; /* measured force above cap + margin is a fault */
	double over_force_ms;
	double contact_n;       /* force that counts as touching the body */
	double search_mm;       /* how far past its last contact the roller seeks the body */
};

struct width_config {
	double narrow_mm;
	double medium_mm;
	double wide_mm;
};

struct recline_config {
	double timeout_s;          /* running this long without reaching a limit is a fault */
	int spike_ma;              /* current that means something is trapped */
	double backoff_s;          /* reverse this long after a trap, then stop */
	double tolerance_deg;
	double back_deg[RECLINE_COUNT];
	double leg_deg[RECLINE_COUNT];
	double angle_scale_deg;
};

struct airbag_config {
	double max_kpa;
	double pressure_scale_kpa;
	double hysteresis_kpa;
};

struct heater_config {
	double max_c;          /* highest set point in operation */
	double cutoff_c;       /* hard cut-off: a fault */
	double window_s;       /* time-proportioning window of the relay */
	double kp_per_c;       /* duty per degree of error */
	double ki_per_c_s;     /* duty per degree-second of error */
	double integral_band_c; /* the integral runs only this close to the set point */
	double temp_scale_c;
};

struct supply_config {
	double min_v;
	double max_v;
	double scale_v;
	double debounce_ms;
};

struct rt_config {
	int priority;       /* SCHED_FIFO priority */
	int cpu;            /* -1 = no pinning */
	bool lock_memory;
	long period_ns;
	/* Drive a hardware backend even without SCHED_FIFO, locked memory or the CPU asked
	 * for (a bench without the privileges); the sim backend always runs without them. */
	bool allow_soft_realtime;
	int max_late_periods; /* more missed periods than this in a row latch a fault */
};

#define CONFIG_PATH_MAX 256 /* bytes of a file path key, its NUL included */
#define CONFIG_GROUP_MAX 64

struct session_config {
	double max_s;            /* hard limit of a session */
	double default_s;        /* default program length */
	double default_cap_n;    /* a user's force cap before a consultation sets one */
	char rules_path[CONFIG_PATH_MAX];  /* the consultation rules table */
	char advice_path[CONFIG_PATH_MAX]; /* the care advice table */
};

/* The control panel API (PANEL.md) on its Unix socket. */
struct panel_api_config {
	char socket_path[CONFIG_PATH_MAX];
	char technician_group[CONFIG_GROUP_MAX]; /* its members' connections are technicians */
	char socket_group[CONFIG_GROUP_MAX];     /* its members may connect; "" chaird's own */
};

/* The web server of the panel (docs/web.md): the page files, POST /api, GET /api/events. */
#define CONFIG_LISTEN_MAX 64 /* "[v6 address]:port" or "off", its NUL included */
#define CONFIG_NAMES_MAX 256
struct web_api_config {
	char listen[CONFIG_LISTEN_MAX];       /* "HOST:PORT" (numeric), port 0 any free; "off" */
	char root[CONFIG_PATH_MAX];           /* the folder the page files are served from */
	char server_name[CONFIG_NAMES_MAX];   /* more host names it answers to, space separated */
	int max_connections;                  /* HTTP connections at once */
	int max_sessions;                     /* browser sessions (each a panel connection) */
	int max_streams;                      /* event streams at once, all sessions */
	int max_streams_per_session;
	double timeout_s;                     /* a request's whole time; an idle connection's */
	double session_idle_s;                /* a session unused this long is closed */
	double stream_grace_s;                /* a session whose last stream closed waits this long */
	/* The clock of the sessions' times (idle, grace, a deferred call's wait, the rate of new
	 * sessions), in seconds; NULL: CLOCK_MONOTONIC. Not a key: a test steps its own. */
	double (*clock_s)(void *arg);
	void *clock_arg;
};

/* Profiles, sessions, programs and the fault log (SQLite). */
struct store_config {
	char path[CONFIG_PATH_MAX];
};

struct chair_config {
	struct hal_config hal;
	struct axis_config y;
	struct axis_config z;
	struct axis_config w;
	struct rotary_config knead;
	struct rotary_config tap;
	struct force_config force;
	struct width_config width;
	struct recline_config recline;
	struct airbag_config airbag;
	struct heater_config heater;
	struct supply_config supply;
	struct rt_config rt;
	struct session_config session;
	struct panel_api_config panel;
	struct web_api_config web;
	struct store_config store;
	int unit_age_limit_ms;       /* data older than this from any unit is a fault */
	int drive_comm_timeout_ms;   /* the drives' own watchdog */
};

/* CHAIR.md's reference chair. */
void config_defaults(struct chair_config *cfg);

/* Read an INI file over the defaults. On any error nothing of cfg is changed and err
 * says file, line and key: "chair.ini:12: [axis.y] speed_max_mm_s = 900: out of range
 * 5..200". Returns 0 or -EINVAL / -ENOENT. */
int config_load(const char *path, struct chair_config *cfg, char *err, int err_len);

/* The same from a string (tests); name stands in for the file in messages. */
int config_load_string(const char *text, const char *name, struct chair_config *cfg,
		       char *err, int err_len);

/* Every key with its type, default and range, as a Markdown table (docs). */
void config_describe(FILE *out);

/* The configuration in use, every key of the table as INI (the panel's config.get). With
 * base_names, a value that is a path of the machine (a file or folder key, a device) is
 * written as its last component only: which file, not where it is. */
void config_write_ini(const struct chair_config *cfg, FILE *out, bool base_names);

/* What a key takes, for tools and tests that walk every key of the table. */
enum config_value_kind {
	CONFIG_VALUE_NUMBER, /* a decimal number within min..max */
	CONFIG_VALUE_WHOLE,  /* a decimal whole number within min..max */
	CONFIG_VALUE_BOOL,   /* true, false (yes/no, on/off, 1/0) */
	CONFIG_VALUE_TEXT,   /* any text shorter than max bytes */
	CONFIG_VALUE_CHOICE, /* one of a few words */
};

struct config_key_info {
	const char *section;
	const char *key;
	enum config_value_kind kind;
	double min;
	double max;
};

/* The i-th key of the table into *info; false past the last. The [gpio.in] and
 * [gpio.out] line keys are not in the table (their names are hal_gpio_*_name). */
bool config_key_at(size_t i, struct config_key_info *info);

/* Split a [web] listen value: "127.0.0.1:8080", "[::1]:0" (numeric addresses only, no
 * name lookup) into host (without brackets) and port; "off" gives *port -1. Returns 0 or
 * -EINVAL. */
int config_listen_split(const char *text, char *host, size_t host_len, int *port);

/* Cross-checks between keys (a minimum below its maximum, a cap below the hard limit). */
int config_validate(const struct chair_config *cfg, char *err, int err_len);
/* How long the bus keeps writing outputs the tick has not renewed: the rt thread's
 * late-fault tolerance ([rt] max_late_periods periods), in whole ms. */
int config_output_stale_ms(const struct chair_config *cfg);

#endif
