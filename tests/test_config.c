/* Configuration: defaults match CHAIR.md, good files override them, and every bad file
 * gets an error naming file, line and key while the config stays untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
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
	assert_int_equal(c.drive_comm_timeout_ms, 30); /* from the default bus: TCP, 1 ms */
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
		{"[axis.y]\n\nmax_mm = fast\n", "chair.ini:3: [axis.y] max_mm = fast: not a number"},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_reference_chair),
		cmocka_unit_test(test_good_file_overrides_values),
		cmocka_unit_test(test_bad_files_name_file_line_key_and_change_nothing),
		cmocka_unit_test(test_missing_file_is_an_error),
		cmocka_unit_test(test_shipped_config_loads),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
