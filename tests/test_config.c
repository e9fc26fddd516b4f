/* Configuration: defaults match CHAIR.md, good files override them, and every bad file
 * gets an error naming file, line and key while the config stays untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../controller/config.h"

static void test_defaults_are_the_reference_chair(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	assert_true(c.y.max_mm == 1300 && c.y.speed_max_mm_s == 80 && c.y.accel_mm_s2 == 300);
	assert_true(c.z.max_mm == 100 && c.z.speed_max_mm_s == 30);
	assert_true(c.force.max_n == 120 && c.airbag.max_kpa == 40);
	assert_true(c.heater.max_c == 41 && c.heater.cutoff_c == 43);
	assert_true(c.session.max_s == 1800 && c.session.default_s == 900);
	assert_true(c.y.stall_s == 2 && c.y.home_timeout_s == 42 && c.recline.timeout_s == 30);
	assert_true(c.supply.min_v == 20 && c.supply.max_v == 30);
	assert_int_equal(c.unit_age_limit_ms, 100);
	assert_int_equal(c.drive_comm_timeout_ms, 60); /* from the default bus: TCP, 1 ms */
	assert_int_equal(c.hal.bus.unit_id[HAL_UNIT_DRIVE_Y], 1);
	assert_int_equal(c.hal.bus.unit_id[HAL_UNIT_DIO], 7);
	assert_true(c.recline.back_deg[RECLINE_ZERO_GRAVITY] == 150);
	char err[256];
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

static void test_good_file_overrides_values(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	const char *ini = "; a chair with a shorter track\n"
			  "[axis.y]\nmax_mm = 1200\nspeed_max_mm_s=60\n"
			  "[hal]\nbackend = modbus\n"
			  "[bus]\nkind = rtu\ndevice = /dev/ttyS1\nparity = E\n"
			  "[units]\ndrive_z = 12\ndio_present = false\n"
			  "[gpio.in]\nestop_n = gpiochip:ESTOP_BTN,active_low\noccupied = modbus\n"
			  "[rt]\npriority = 90\ncpu = 1\n";
	assert_int_equal(config_load_string(ini, "chair.ini", &c, err, sizeof(err)), 0);
	assert_true(c.y.max_mm == 1200 && c.y.speed_max_mm_s == 60);
	assert_int_equal(c.hal.backend, HAL_BACKEND_MODBUS);
	assert_int_equal(c.hal.bus.kind, HAL_BUS_RTU);
	assert_string_equal(c.hal.bus.rtu_device, "/dev/ttyS1");
	assert_int_equal(c.hal.bus.rtu_parity, 'E');
	assert_int_equal(c.hal.bus.unit_id[HAL_UNIT_DRIVE_Z], 12);
	assert_false(c.hal.bus.unit_present[HAL_UNIT_DIO]);
	assert_string_equal(c.hal.in_line[HAL_IN_ESTOP].name, "ESTOP_BTN");
	assert_true(c.hal.in_line[HAL_IN_ESTOP].active_low);
	assert_int_equal(c.hal.in_line[HAL_IN_OCCUPIED].location, HAL_LINE_MODBUS);
	assert_int_equal(c.rt.priority, 90);
	assert_int_equal(c.rt.cpu, 1);
}

struct bad_case {
	const char *ini;
	const char *expect; /* the whole message */
};

static void test_bad_files_name_file_line_key_and_change_nothing(void **state)
{
	(void)state;
	const struct bad_case cases[] = {
		{"[axis.y]\nspeed_max_mm_s = 900\n",
		 "chair.ini:2: [axis.y] speed_max_mm_s = 900: out of range 1..300"},
		{"[axis.y]\n\nmax_mm = fast\n", "chair.ini:3: [axis.y] max_mm = fast: not a decimal number"},
		{"[force]\nmax_n =\n", "chair.ini:2: [force] max_n = : missing value"},
		{"[force]\nmax_newtons = 100\n",
		 "chair.ini:2: [force] max_newtons = 100: unknown key"},
		{"[forse]\nmax_n = 100\n", "chair.ini:2: [forse] max_n = 100: unknown key"},
		{"[rt]\npriority = 80.5\n",
		 "chair.ini:2: [rt] priority = 80.5: not a whole number"},
		{"[rt]\nlock_memory = maybe\n",
		 "chair.ini:2: [rt] lock_memory = maybe: expected true or false"},
		{"[hal]\nbackend = can\n",
		 "chair.ini:2: [hal] backend = can: expected sim, modbus or gpiod+modbus"},
		{"[bus]\nparity = X\n", "chair.ini:2: [bus] parity = X: expected N, E or O"},
		{"[gpio.in]\nestop_n = gpiochip,inverted\n",
		 "chair.ini:2: [gpio.in] estop_n = gpiochip,inverted: expected "
		 "gpiochip[:NAME][,active_low] or modbus[,active_low]"},
		{"[axis.y]\nthis line has no equals sign\n", "chair.ini:2: syntax error"},
		{"[axis.y]\nmin_mm = 500\nmax_mm = 400\n",
		 "chair.ini:2: [axis.y] min_mm 500 must be below max_mm 400"},
		{"[width]\nnarrow_mm = 80\n\n\nmedium_mm = 200\n",
		 "chair.ini:5: [width] medium_mm 200 must be below wide_mm 140"},
		{"[heater]\n\ncutoff_c = 40\n",
		 "chair.ini:3: [heater] max_c 41 must be below cutoff_c 40"},
		{"[heater]\nmax_c = 44\n", "chair.ini:2: [heater] max_c 44 must be below cutoff_c 43"},
		{"[session]\ndefault_cap_n = 150\n",
		 "chair.ini:2: [session] default_cap_n 150 must not exceed [force] max_n 120"},
		{"[units]\ndrive_y = 0\n", "chair.ini:2: [units] drive_y = 0: out of range 1..247"},
		{"[rt]\nperiod_us = 500\n", "chair.ini:2: [rt] period_us = 500: out of range 1000..1000"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chair_config c, before;
		config_defaults(&c);
		before = c;
		char err[256] = "";
		assert_int_equal(config_load_string(cases[i].ini, "chair.ini", &c, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].expect);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* Values strtod or strtol would take, or half take, and no technician means as a setting;
 * and the empty value. */
static const char *const not_decimal[] = {"nan", "NaN", "inf", "-inf", "infinity", "1e309",
					  "-1e309", "0x10", "0x1p3", "5junk", "5 N", "5x", "x5",
					  "1e", ".", ""};

/* Load "[section]\n\n\nkey = value\n" over the defaults: refused, with line 4, section,
 * key and value at the head of the message, and nothing of the config changed. */
static void assert_refused_on_line_4(const char *section, const char *key, const char *value)
{
	struct chair_config c, defaults;
	config_defaults(&c);
	config_defaults(&defaults);
	char ini[256], err[512] = "", head[256];
	snprintf(ini, sizeof(ini), "[%s]\n\n\n%s = %s\n", section, key, value);
	snprintf(head, sizeof(head), "chair.ini:4: [%s] %s = %s: ", section, key, value);
	int rc = config_load_string(ini, "chair.ini", &c, err, sizeof(err));
	if (rc != -EINVAL || strncmp(err, head, strlen(head)) != 0)
		fail_msg("[%s] %s = %s: rc %d, message \"%s\"", section, key, value, rc, err);
	assert_memory_equal(&c, &defaults, sizeof(c));
}

static void test_every_key_refuses_nan_inf_overflow_hex_and_junk(void **state)
{
	(void)state;
	struct config_key_info k;
	size_t checked = 0;
	for (size_t i = 0; config_key_at(i, &k); i++) {
		if (k.kind == CONFIG_VALUE_TEXT)
			continue; /* any text is a host or device name: test_text_keys_take_any_text */
		for (size_t v = 0; v < sizeof(not_decimal) / sizeof(not_decimal[0]); v++)
			assert_refused_on_line_4(k.section, k.key, not_decimal[v]);
		checked++;
	}
	for (int i = 0; i < HAL_IN_COUNT; i++)
		for (size_t v = 0; v < sizeof(not_decimal) / sizeof(not_decimal[0]); v++)
			assert_refused_on_line_4("gpio.in", hal_gpio_in_name[i], not_decimal[v]);
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		for (size_t v = 0; v < sizeof(not_decimal) / sizeof(not_decimal[0]); v++)
			assert_refused_on_line_4("gpio.out", hal_gpio_out_name[i], not_decimal[v]);
	assert_true(checked > 100); /* the walk really went through the table */
}

static void test_every_number_key_says_why_nan_and_overflow_are_refused(void **state)
{
	(void)state;
	struct config_key_info k;
	for (size_t i = 0; config_key_at(i, &k); i++) {
		if (k.kind != CONFIG_VALUE_NUMBER)
			continue;
		struct chair_config c;
		config_defaults(&c);
		char err[512] = "", expect[256];
		const char *values[] = {"nan", "1e309", "-1e309"};
		for (size_t v = 0; v < 3; v++) {
			char ini[128];
			snprintf(ini, sizeof(ini), "[%s]\n%s = %s\n", k.section, k.key, values[v]);
			assert_int_equal(config_load_string(ini, "chair.ini", &c, err, sizeof(err)),
					 -EINVAL);
			snprintf(expect, sizeof(expect), "chair.ini:2: [%s] %s = %s: %s", k.section,
				 k.key, values[v], v == 0 ? "not a decimal number" : "out of range");
			assert_true(strncmp(err, expect, strlen(expect)) == 0);
		}
	}
}

static void test_whole_and_bool_keys_take_decimal_only(void **state)
{
	(void)state;
	const char *not_whole[] = {"1e3", "4000.0", "80.5", "+0x10", "08x", "99999999999999999999"};
	struct config_key_info k;
	for (size_t i = 0; config_key_at(i, &k); i++) {
		if (k.kind == CONFIG_VALUE_WHOLE)
			for (size_t v = 0; v < sizeof(not_whole) / sizeof(not_whole[0]); v++)
				assert_refused_on_line_4(k.section, k.key, not_whole[v]);
		if (k.kind == CONFIG_VALUE_BOOL) {
			assert_refused_on_line_4(k.section, k.key, "2");
			assert_refused_on_line_4(k.section, k.key, "0x1");
			assert_refused_on_line_4(k.section, k.key, "truex");
		}
	}
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_load_string("[rt]\npriority = +90\ncpu = -1\n[hal]\nsim_seed = 007\n",
					    "chair.ini", &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.rt.priority, 90);
	assert_int_equal(c.hal.sim_seed, 7);
}

static void test_plain_decimals_still_parse(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	const char *ini = "[force]\nmax_n = 1.5e2\nover_force_margin_n = +0\n"
			  "[heater]\nmax_c = 40.\ncutoff_c = .42E2\n";
	assert_int_equal(config_load_string(ini, "chair.ini", &c, err, sizeof(err)), 0);
	assert_true(c.force.max_n == 150 && c.force.over_force_margin_n == 0);
	assert_true(c.heater.max_c == 40 && c.heater.cutoff_c == 42);
}

static void test_text_keys_take_any_text(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_load_string("[bus]\nhost = nan\ndevice = 0x10\n", "chair.ini", &c,
					    err, sizeof(err)),
			 0);
	assert_string_equal(c.hal.bus.tcp_host, "nan");
	assert_string_equal(c.hal.bus.rtu_device, "0x10");
}

static void test_nan_in_the_struct_breaks_every_cross_check(void **state)
{
	(void)state;
	/* Past the parser (a caller filling the struct itself), NaN still fails validation. */
#define FIELD(f) offsetof(struct chair_config, f)
	const size_t offsets[] = {
		FIELD(y.min_mm),	  FIELD(z.max_mm),	    FIELD(w.speed_min_mm_s),
		FIELD(w.speed_max_mm_s),  FIELD(width.narrow_mm),   FIELD(width.medium_mm),
		FIELD(width.wide_mm),	  FIELD(session.default_cap_n), FIELD(force.max_n),
		FIELD(heater.max_c),	  FIELD(heater.cutoff_c),   FIELD(supply.min_v),
		FIELD(supply.max_v),	  FIELD(session.default_s), FIELD(session.max_s),
	};
#undef FIELD
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct chair_config c;
		config_defaults(&c);
		*(double *)((char *)&c + offsets[i]) = NAN;
		char err[256] = "";
		assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	}
}

static void test_rt_keys_for_hardware_default_to_hard_real_time(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	assert_false(c.rt.allow_soft_realtime);
	assert_true(c.rt.max_late_periods >= 1 && c.rt.max_late_periods <= 1000);
	char err[256] = "";
	assert_int_equal(config_load_string("[rt]\nallow_soft_realtime = true\nmax_late_periods = 1000\n",
					    "chair.ini", &c, err, sizeof(err)),
			 0);
	assert_true(c.rt.allow_soft_realtime);
	assert_int_equal(c.rt.max_late_periods, 1000);
	assert_int_equal(config_load_string("[rt]\nmax_late_periods = 0\n", "chair.ini", &c, err,
					    sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "chair.ini:2: [rt] max_late_periods = 0: out of range 1..1000");
	assert_int_equal(config_load_string("[rt]\nmax_late_periods = 1001\n", "chair.ini", &c, err,
					    sizeof(err)),
			 -EINVAL);
}

static void test_missing_file_is_an_error(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	assert_true(config_load("no-such-dir/chair.ini", &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "no-such-dir/chair.ini: cannot open"));
}

static void test_shipped_config_loads(void **state)
{
	(void)state;
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	int rc = config_load("controller/chair.ini", &c, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
}

/* [web]: an address the server can bind without a name lookup, host names, a folder; each
 * bad value refused with its line, and the streams leave connections for requests. */
static void test_web_keys_refuse_what_cannot_be_served(void **state)
{
	(void)state;
	const char *bad_listen[] = {"localhost:8080", "127.0.0.1", "127.0.0.1:65536",
				    "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:", ":8080",
				    "::1:8080", "[::1]8080", "[::1]:", "[127.0.0.1]:80",
				    "127.0.0.1:80x", "on", "0x7f000001:80"};
	for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++)
		assert_refused_on_line_4("web", "listen", bad_listen[i]);
	assert_refused_on_line_4("web", "server_name", "chair.local/evil");
	assert_refused_on_line_4("web", "server_name", "chair.local,other");
	assert_refused_on_line_4("web", "root", "/usr/share/chaird/www/");
	assert_refused_on_line_4("web", "max_connections", "0");
	struct chair_config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_load_string("[web]\nmax_connections = 20\nmax_streams = 20\n",
					    "chair.ini", &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "chair.ini:3: [web] max_streams 20 must be below max_connections 20");
	const char *good[] = {"off", "[::1]:0", "0.0.0.0:80", "127.0.0.1:0", "192.168.1.20:8080"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char ini[128];
		snprintf(ini, sizeof(ini), "[web]\nlisten = %s\nserver_name = chair.local [::1]\n",
			 good[i]);
		assert_int_equal(config_load_string(ini, "chair.ini", &c, err, sizeof(err)), 0);
		assert_string_equal(c.web.listen, good[i]);
	}
	char host[64];
	int port;
	assert_int_equal(config_listen_split("[::1]:8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8080);
	assert_int_equal(config_listen_split("off", host, sizeof(host), &port), 0);
	assert_int_equal(port, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_reference_chair),
		cmocka_unit_test(test_good_file_overrides_values),
		cmocka_unit_test(test_bad_files_name_file_line_key_and_change_nothing),
		cmocka_unit_test(test_every_key_refuses_nan_inf_overflow_hex_and_junk),
		cmocka_unit_test(test_every_number_key_says_why_nan_and_overflow_are_refused),
		cmocka_unit_test(test_whole_and_bool_keys_take_decimal_only),
		cmocka_unit_test(test_plain_decimals_still_parse),
		cmocka_unit_test(test_text_keys_take_any_text),
		cmocka_unit_test(test_nan_in_the_struct_breaks_every_cross_check),
		cmocka_unit_test(test_rt_keys_for_hardware_default_to_hard_real_time),
		cmocka_unit_test(test_missing_file_is_an_error),
		cmocka_unit_test(test_shipped_config_loads),
		cmocka_unit_test(test_web_keys_refuse_what_cannot_be_served),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
