/* The GPIO backend against a fake libgpiod: every libgpiod function the backend calls is
 * wrapped at link time (tests/test_gpio_gpiod.ldflags) and served by a small model of one
 * chip with named lines, so lookups, request failures, bulk transfers, active-low and edge
 * events are checked without a kernel gpiochip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../drivers/gpio_gpiod.h"
#include "../drivers/hal.h"

/* ---- the fake chip ---- */

#define FAKE_LINES 40
#define FAKE_EVENTS 32

struct gpiod_chip {
	int open;
};

struct gpiod_line {
	char name[HAL_NAME_MAX];
	int value;              /* electrical level */
	bool requested;         /* by us */
	bool output;
	bool events;
	const char *held_by;    /* another process holds it */
	int event_type[FAKE_EVENTS];
	int event_count;
};

static struct {
	struct gpiod_chip chip;
	const char *chip_name;
	struct gpiod_line line[FAKE_LINES];
	int line_count;
	int fail_input_request;  /* errno to fail the next bulk input request with */
	int fail_events_request;
	int fail_get_bulk;
	int get_bulk_calls;
	int set_bulk_calls;
	int get_bulk_lines;
	int set_bulk_lines;
	int chip_closes;
} fake;

/* A chip named "gpiochip0" with every line of the reference chair, all at level 0 and
 * estop_n at 1 (released). */
static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.chip_name = "gpiochip0";
	for (int i = 0; i < HAL_IN_COUNT; i++)
		snprintf(fake.line[fake.line_count++].name, HAL_NAME_MAX, "%s", hal_gpio_in_name[i]);
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		snprintf(fake.line[fake.line_count++].name, HAL_NAME_MAX, "%s", hal_gpio_out_name[i]);
	fake.line[HAL_IN_ESTOP].value = 1;
}

static struct gpiod_line *fake_line(const char *name)
{
	for (int i = 0; i < fake.line_count; i++)
		if (strcmp(fake.line[i].name, name) == 0)
			return &fake.line[i];
	return NULL;
}

/* Move an input line to a level, queueing the edge event if it is watched. */
static void fake_set_level(const char *name, int value)
{
	struct gpiod_line *l = fake_line(name);
	assert_non_null(l);
	if (l->value == value)
		return;
	l->value = value;
	if (l->events && l->event_count < FAKE_EVENTS)
		l->event_type[l->event_count++] =
			value ? GPIOD_LINE_EVENT_RISING_EDGE : GPIOD_LINE_EVENT_FALLING_EDGE;
}

/* ---- the wrapped libgpiod API ---- */

struct gpiod_chip *__wrap_gpiod_chip_open_lookup(const char *descr);
void __wrap_gpiod_chip_close(struct gpiod_chip *chip);
struct gpiod_line *__wrap_gpiod_chip_find_line(struct gpiod_chip *chip, const char *name);
int __wrap_gpiod_line_request_bulk_input_flags(struct gpiod_line_bulk *bulk,
					       const char *consumer, int flags);
int __wrap_gpiod_line_request_bulk_output_flags(struct gpiod_line_bulk *bulk,
						const char *consumer, int flags,
						const int *default_vals);
int __wrap_gpiod_line_request_both_edges_events(struct gpiod_line *line, const char *consumer);
int __wrap_gpiod_line_get_value_bulk(struct gpiod_line_bulk *bulk, int *values);
int __wrap_gpiod_line_set_value_bulk(struct gpiod_line_bulk *bulk, const int *values);
int __wrap_gpiod_line_get_value(struct gpiod_line *line);
int __wrap_gpiod_line_event_wait(struct gpiod_line *line, const struct timespec *timeout);
int __wrap_gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event);
void __wrap_gpiod_line_release_bulk(struct gpiod_line_bulk *bulk);
void __wrap_gpiod_line_release(struct gpiod_line *line);
int __wrap_gpiod_line_update(struct gpiod_line *line);
bool __wrap_gpiod_line_is_used(struct gpiod_line *line);
const char *__wrap_gpiod_line_consumer(struct gpiod_line *line);
const char *__wrap_gpiod_line_name(struct gpiod_line *line);

struct gpiod_chip *__wrap_gpiod_chip_open_lookup(const char *descr)
{
	if (!fake.chip_name || strcmp(descr, fake.chip_name) != 0) {
		errno = ENOENT;
		return NULL;
	}
	fake.chip.open = 1;
	return &fake.chip;
}

void __wrap_gpiod_chip_close(struct gpiod_chip *chip)
{
	assert_ptr_equal(chip, &fake.chip);
	chip->open = 0;
	fake.chip_closes++;
}

struct gpiod_line *__wrap_gpiod_chip_find_line(struct gpiod_chip *chip, const char *name)
{
	assert_true(chip->open);
	struct gpiod_line *l = fake_line(name);
	if (!l)
		errno = ENOENT;
	return l;
}

/* Request a bulk as the kernel would: all or nothing, EBUSY if another process holds one. */
static int fake_request(struct gpiod_line_bulk *bulk, bool output, const int *defaults)
{
	for (unsigned int i = 0; i < bulk->num_lines; i++)
		if (bulk->lines[i]->held_by || bulk->lines[i]->requested) {
			errno = EBUSY;
			return -1;
		}
	for (unsigned int i = 0; i < bulk->num_lines; i++) {
		bulk->lines[i]->requested = true;
		bulk->lines[i]->output = output;
		if (output)
			bulk->lines[i]->value = defaults[i];
	}
	return 0;
}

int __wrap_gpiod_line_request_bulk_input_flags(struct gpiod_line_bulk *bulk,
					       const char *consumer, int flags)
{
	assert_string_equal(consumer, GPIOD_BE_CONSUMER);
	assert_int_equal(flags, 0);
	if (fake.fail_input_request) {
		errno = fake.fail_input_request;
		return -1;
	}
	return fake_request(bulk, false, NULL);
}

int __wrap_gpiod_line_request_bulk_output_flags(struct gpiod_line_bulk *bulk,
						const char *consumer, int flags,
						const int *default_vals)
{
	assert_string_equal(consumer, GPIOD_BE_CONSUMER);
	assert_int_equal(flags, 0);
	return fake_request(bulk, true, default_vals);
}

int __wrap_gpiod_line_request_both_edges_events(struct gpiod_line *line, const char *consumer)
{
	if (fake.fail_events_request) {
		errno = fake.fail_events_request;
		return -1;
	}
	struct gpiod_line_bulk one = {{line}, 1};
	if (fake_request(&one, false, NULL) < 0)
		return -1;
	line->events = true;
	return 0;
}

int __wrap_gpiod_line_get_value_bulk(struct gpiod_line_bulk *bulk, int *values)
{
	fake.get_bulk_calls++;
	fake.get_bulk_lines = (int)bulk->num_lines;
	if (fake.fail_get_bulk) {
		errno = fake.fail_get_bulk;
		return -1;
	}
	for (unsigned int i = 0; i < bulk->num_lines; i++) {
		assert_true(bulk->lines[i]->requested);
		values[i] = bulk->lines[i]->value;
	}
	return 0;
}

int __wrap_gpiod_line_set_value_bulk(struct gpiod_line_bulk *bulk, const int *values)
{
	fake.set_bulk_calls++;
	fake.set_bulk_lines = (int)bulk->num_lines;
	for (unsigned int i = 0; i < bulk->num_lines; i++) {
		assert_true(bulk->lines[i]->requested && bulk->lines[i]->output);
		bulk->lines[i]->value = values[i];
	}
	return 0;
}

int __wrap_gpiod_line_get_value(struct gpiod_line *line)
{
	assert_true(line->requested);
	return line->value;
}

int __wrap_gpiod_line_event_wait(struct gpiod_line *line, const struct timespec *timeout)
{
	assert_true(line->events);
	/* The backend must never wait for an event inside the tick. */
	assert_int_equal(timeout->tv_sec, 0);
	assert_int_equal(timeout->tv_nsec, 0);
	return line->event_count > 0 ? 1 : 0;
}

int __wrap_gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event)
{
	assert_true(line->event_count > 0); /* the real one would block here */
	memset(event, 0, sizeof(*event));
	event->event_type = line->event_type[0];
	memmove(&line->event_type[0], &line->event_type[1],
		sizeof(int) * (size_t)(line->event_count - 1));
	line->event_count--;
	return 0;
}

void __wrap_gpiod_line_release_bulk(struct gpiod_line_bulk *bulk)
{
	for (unsigned int i = 0; i < bulk->num_lines; i++) {
		assert_true(bulk->lines[i]->requested);
		bulk->lines[i]->requested = false;
	}
}

void __wrap_gpiod_line_release(struct gpiod_line *line)
{
	assert_true(line->requested);
	line->requested = false;
	line->events = false;
}

int __wrap_gpiod_line_update(struct gpiod_line *line)
{
	return 0;
}

bool __wrap_gpiod_line_is_used(struct gpiod_line *line)
{
	return line->held_by != NULL;
}

const char *__wrap_gpiod_line_consumer(struct gpiod_line *line)
{
	return line->held_by;
}

const char *__wrap_gpiod_line_name(struct gpiod_line *line)
{
	return line->name;
}

/* ---- helpers ---- */

static struct hal_config cfg;
static struct gpiod_be be;
static char err[256];

static int setup(void **state)
{
	fake_reset();
	hal_config_defaults(&cfg);
	cfg.backend = HAL_BACKEND_GPIOD_MODBUS;
	memset(&be, 0, sizeof(be));
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	gpiod_be_close(&be);
	for (int i = 0; i < fake.line_count; i++)
		assert_false(fake.line[i].requested);
	return 0;
}

static bool any_requested(void)
{
	for (int i = 0; i < fake.line_count; i++)
		if (fake.line[i].requested)
			return true;
	return false;
}

/* ---- tests ---- */

static void test_open_requests_every_line_by_name_outputs_at_safe_values(void **state)
{
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 0);
	for (int i = 0; i < HAL_OUT_COUNT; i++) {
		struct gpiod_line *l = fake_line(hal_gpio_out_name[i]);
		assert_true(l->requested && l->output);
		assert_int_equal(l->value, hal_out(&safe, (enum hal_gpio_out)i));
	}
	for (int i = 0; i < HAL_IN_COUNT; i++)
		assert_true(fake_line(hal_gpio_in_name[i])->requested);
	assert_true(fake_line("estop_n")->events);
	assert_false(fake_line("occupied")->events);
}

static void test_open_uses_configured_line_names(void **state)
{
	snprintf(fake.line[HAL_IN_OCCUPIED].name, HAL_NAME_MAX, "SEAT_SENSOR");
	snprintf(cfg.in_line[HAL_IN_OCCUPIED].name, HAL_NAME_MAX, "SEAT_SENSOR");
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	assert_true(fake_line("SEAT_SENSOR")->requested);
}

static void test_open_fails_naming_a_missing_chip(void **state)
{
	snprintf(cfg.gpiochip, sizeof(cfg.gpiochip), "gpiochip7");
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "gpiochip7"));
	assert_false(any_requested());
}

static void test_open_fails_naming_a_missing_line(void **state)
{
	snprintf(fake.line[HAL_IN_COUNT + HAL_OUT_VALVE_SEAT].name, HAL_NAME_MAX, "renamed");
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "valve_seat"));
	assert_non_null(strstr(err, "gpiochip0"));
	assert_false(any_requested()); /* the inputs requested before are released again */
	assert_int_equal(fake.chip_closes, 1);
}

static void test_open_fails_naming_a_busy_line_and_its_holder(void **state)
{
	fake_line("pump")->held_by = "gpioset";
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "'pump'"));
	assert_non_null(strstr(err, "gpioset"));
	assert_false(any_requested());
}

static void test_open_fails_when_the_estop_is_busy(void **state)
{
	fake_line("estop_n")->held_by = "other";
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "estop_n"));
	assert_false(any_requested());
}

static void test_open_reports_a_failed_input_request(void **state)
{
	fake.fail_input_request = EPERM;
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "input"));
	assert_non_null(strstr(err, "gpiochip0"));
	assert_false(any_requested());
}

static void test_open_reports_a_failed_estop_event_request(void **state)
{
	fake.fail_events_request = EIO;
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "e-stop"));
	assert_false(any_requested());
}

static void test_read_is_one_bulk_get_with_active_low_applied(void **state)
{
	cfg.in_line[HAL_IN_Y_END].active_low = true;
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	fake_set_level("occupied", 1);
	fake_set_level("y_end", 1); /* active low: 1 is "not at the end" */
	fake_set_level("leg_max", 1);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(fake.get_bulk_calls, 1);
	assert_int_equal(fake.get_bulk_lines, HAL_IN_COUNT - 1); /* all but the e-stop */
	assert_false(hal_in(&in, HAL_IN_ESTOP)); /* estop_n high: released */
	assert_true(hal_in(&in, HAL_IN_OCCUPIED));
	assert_false(hal_in(&in, HAL_IN_Y_END));
	assert_true(hal_in(&in, HAL_IN_LEG_MAX));
	assert_false(hal_in(&in, HAL_IN_Y_HOME));

	fake_set_level("y_end", 0);
	fake_set_level("estop_n", 0);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_true(hal_in(&in, HAL_IN_Y_END));
	assert_true(hal_in(&in, HAL_IN_ESTOP));
	assert_int_equal(fake.get_bulk_calls, 2);
}

static void test_write_is_one_bulk_set_with_active_low_applied(void **state)
{
	cfg.out_line[HAL_OUT_LED].active_low = true;
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_HEAT_CALVES, true);
	assert_int_equal(gpiod_be_write(&be, &out), 0);
	assert_int_equal(fake.set_bulk_calls, 1);
	assert_int_equal(fake.set_bulk_lines, HAL_OUT_COUNT);
	assert_int_equal(fake_line("pump")->value, 1);
	assert_int_equal(fake_line("heat_calves")->value, 1);
	assert_int_equal(fake_line("vent")->value, 0);
	assert_int_equal(fake_line("led")->value, 1); /* off, active low */
	hal_out_set(&out, HAL_OUT_LED, true);
	assert_int_equal(gpiod_be_write(&be, &out), 0);
	assert_int_equal(fake_line("led")->value, 0);
}

static void test_active_low_output_starts_at_inverted_safe_level(void **state)
{
	cfg.out_line[HAL_OUT_VENT].active_low = true; /* safe: vent open */
	cfg.out_line[HAL_OUT_PUMP].active_low = true; /* safe: pump off */
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	assert_int_equal(fake_line("vent")->value, 0);
	assert_int_equal(fake_line("pump")->value, 1);
}

static void test_estop_press_between_two_reads_is_counted(void **state)
{
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(in.estop_presses, 0);
	/* pressed and released again before the next tick: the level misses it */
	fake_set_level("estop_n", 0);
	fake_set_level("estop_n", 1);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_false(hal_in(&in, HAL_IN_ESTOP));
	assert_int_equal(in.estop_presses, 1);
	/* a held press counts once, and the count is cumulative */
	fake_set_level("estop_n", 0);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_true(hal_in(&in, HAL_IN_ESTOP));
	assert_int_equal(in.estop_presses, 2);
}

static void test_estop_active_high_counts_rising_edges(void **state)
{
	cfg.in_line[HAL_IN_ESTOP].active_low = false;
	fake_line("estop_n")->value = 0;
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	fake_set_level("estop_n", 1);
	fake_set_level("estop_n", 0);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(in.estop_presses, 1);
	assert_false(hal_in(&in, HAL_IN_ESTOP));
}

static void test_estop_bounce_storm_is_drained_over_several_reads(void **state)
{
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	for (int i = 0; i < 15; i++) { /* 30 edges, more than one read drains */
		fake_set_level("estop_n", 0);
		fake_set_level("estop_n", 1);
	}
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_true(in.estop_presses >= 8 && in.estop_presses < 15);
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(in.estop_presses, 15);
}

static void test_lines_on_modbus_are_skipped_and_their_bits_untouched(void **state)
{
	cfg.in_line[HAL_IN_ESTOP].location = HAL_LINE_MODBUS;
	cfg.in_line[HAL_IN_LEG_MAX].location = HAL_LINE_MODBUS;
	cfg.out_line[HAL_OUT_BUZZER].location = HAL_LINE_MODBUS;
	fake_line("leg_max")->held_by = "must not be asked for";
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	assert_false(fake_line("estop_n")->requested);
	assert_false(fake_line("buzzer")->requested);

	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	in.gpio_in = (1u << HAL_IN_ESTOP) | (1u << HAL_IN_LEG_MAX); /* from the bus */
	in.estop_presses = 5;
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_true(hal_in(&in, HAL_IN_ESTOP));
	assert_true(hal_in(&in, HAL_IN_LEG_MAX));
	assert_int_equal(in.estop_presses, 5);
	assert_int_equal(fake.get_bulk_lines, HAL_IN_COUNT - 2);

	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	assert_int_equal(gpiod_be_write(&be, &out), 0);
	assert_int_equal(fake.set_bulk_lines, HAL_OUT_COUNT - 1);
}

static void test_all_lines_on_modbus_open_no_chip(void **state)
{
	for (int i = 0; i < HAL_IN_COUNT; i++)
		cfg.in_line[i].location = HAL_LINE_MODBUS;
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		cfg.out_line[i].location = HAL_LINE_MODBUS;
	fake.chip_name = NULL; /* opening any chip would fail */
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	in.gpio_in = 0x1ff;
	assert_int_equal(gpiod_be_read(&be, &in), 0);
	assert_int_equal(in.gpio_in, 0x1ff);
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	assert_int_equal(gpiod_be_write(&be, &out), 0);
	assert_int_equal(fake.get_bulk_calls + fake.set_bulk_calls, 0);
}

/* ---- the heartbeat line, for the charge-pump relay ---- */

static void test_heartbeat_is_requested_and_driven_like_any_output(void **state)
{
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	struct gpiod_line *beat = fake_line("heartbeat");
	assert_true(beat->requested && beat->output);
	assert_int_equal(beat->value, 0); /* not toggling before the first tick */
	struct hal_outputs out;
	hal_safe_outputs(&out, 0);
	for (int tick = 1; tick <= 4; tick++) { /* the rt thread flips it every tick */
		hal_out_set(&out, HAL_OUT_HEARTBEAT, tick % 2);
		assert_int_equal(gpiod_be_write(&be, &out), 0);
		assert_int_equal(beat->value, tick % 2);
	}
	assert_int_equal(fake.set_bulk_calls, 4); /* in the one bulk set of the outputs */
	assert_int_equal(fake.set_bulk_lines, HAL_OUT_COUNT);
}

static void test_missing_heartbeat_beside_local_outputs_is_an_error_naming_it(void **state)
{
	snprintf(fake_line("heartbeat")->name, HAL_NAME_MAX, "renamed");
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "'heartbeat'"));
	assert_non_null(strstr(err, "gpiochip0"));
	assert_non_null(strstr(err, "charge-pump"));
	assert_false(any_requested());
}

static void test_heartbeat_is_left_alone_when_every_other_output_is_on_the_bus(void **state)
{
	/* the DIO module's own watchdog guards the outputs: nothing local for a relay to cut */
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
		cfg.out_line[i].location = HAL_LINE_MODBUS;
	snprintf(fake_line("heartbeat")->name, HAL_NAME_MAX, "renamed");
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	assert_false(fake_line("renamed")->requested);
	assert_true(fake_line("y_home")->requested); /* the inputs are still local */
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	hal_out_set(&out, HAL_OUT_HEARTBEAT, true);
	assert_int_equal(gpiod_be_write(&be, &out), 0);
	assert_int_equal(fake.set_bulk_calls, 0);
}

static void test_read_failure_is_a_negative_errno(void **state)
{
	assert_int_equal(gpiod_be_open(&be, &cfg, err, sizeof(err)), 0);
	fake.fail_get_bulk = EIO;
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	assert_int_equal(gpiod_be_read(&be, &in), -EIO);
}

static void test_backend_ops_reach_the_lines(void **state)
{
	struct hal_backend b;
	gpiod_be_bind(&be, &b);
	assert_string_equal(b.name, "gpiod");
	assert_int_equal(b.open(b.ctx, &cfg, err, sizeof(err)), 0);
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 50);
	hal_out_set(&safe, HAL_OUT_BUZZER, true);
	assert_int_equal(b.safe(b.ctx, &safe), 0);
	assert_int_equal(fake_line("buzzer")->value, 1);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	fake_set_level("z_home", 1);
	assert_int_equal(b.read(b.ctx, &in), 0);
	assert_true(hal_in(&in, HAL_IN_Z_HOME));
	b.close(b.ctx);
	assert_false(any_requested());
	assert_int_equal(fake.chip_closes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_requests_every_line_by_name_outputs_at_safe_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_uses_configured_line_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_naming_a_missing_chip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_naming_a_missing_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_naming_a_busy_line_and_its_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_when_the_estop_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_reports_a_failed_input_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_reports_a_failed_estop_event_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_is_one_bulk_get_with_active_low_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_is_one_bulk_set_with_active_low_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_low_output_starts_at_inverted_safe_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estop_press_between_two_reads_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estop_active_high_counts_rising_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estop_bounce_storm_is_drained_over_several_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_on_modbus_are_skipped_and_their_bits_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_lines_on_modbus_open_no_chip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_is_requested_and_driven_like_any_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_heartbeat_beside_local_outputs_is_an_error_naming_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_is_left_alone_when_every_other_output_is_on_the_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_failure_is_a_negative_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_ops_reach_the_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
