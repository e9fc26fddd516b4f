/* The simulated reference chair (CHAIR.md) and the person in it. It sees only the process
 * image of drivers/hal.h, from the hardware's side: it takes the outputs the controller
 * wrote, advances its physics, and produces the inputs the controller will read.
 *
 * Deterministic: all randomness comes from the seed, time is the number of steps taken.
 * Nothing here allocates after sim_init. */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "../drivers/hal.h"

/* Body zones with their own tissue stiffness. */
enum sim_zone {
	SIM_ZONE_NECK,
	SIM_ZONE_SHOULDERS,
	SIM_ZONE_UPPER_BACK,
	SIM_ZONE_MID_BACK,
	SIM_ZONE_LOWER_BACK,
	SIM_ZONE_SACRUM,
	SIM_ZONE_GLUTES,
	SIM_ZONE_THIGHS,
	SIM_ZONE_COUNT
};

/* Spine landmarks, top to bottom. */
enum sim_landmark {
	SIM_LM_C7,
	SIM_LM_T1, SIM_LM_T2, SIM_LM_T3, SIM_LM_T4, SIM_LM_T5, SIM_LM_T6,
	SIM_LM_T7, SIM_LM_T8, SIM_LM_T9, SIM_LM_T10, SIM_LM_T11, SIM_LM_T12,
	SIM_LM_L1, SIM_LM_L2, SIM_LM_L3, SIM_LM_L4, SIM_LM_L5,
	SIM_LM_SACRUM,
	SIM_LM_COUNT
};

#define SIM_TENDER_MAX 8

struct sim_tender_point {
	double y_mm;          /* on the track */
	double radius_mm;     /* how far around it the tenderness reaches */
	double too_much_n;    /* contact force at which this person says "too much" */
};

struct sim_person {
	double height_cm;            /* 150..200 */
	double shoulder_y_mm;        /* shoulder line on the track */
	double seat_y_mm;            /* where the back meets the seat */
	double landmark_y_mm[SIM_LM_COUNT];
	double stiffness_n_per_mm[SIM_ZONE_COUNT];
	double zone_start_y_mm[SIM_ZONE_COUNT]; /* zone z spans [start[z], start[z+1]) */
	double skin_gap_mm;          /* roller protrusion at which it touches the back */
	int tender_count;
	struct sim_tender_point tender[SIM_TENDER_MAX];
	bool seated;
};

/* A random person from a seed; sim_person_default is a 175 cm median person. */
void sim_person_random(struct sim_person *p, uint64_t seed);
void sim_person_default(struct sim_person *p);
enum sim_zone sim_person_zone_at(const struct sim_person *p, double y_mm);
/* Contact force the roller makes at carriage position y_mm, protruding z_mm. */
double sim_person_contact_n(const struct sim_person *p, double y_mm, double z_mm);

enum sim_fault_kind {
	SIM_FAULT_UNIT_SILENT,    /* a bus unit stops answering: its inputs go stale */
	SIM_FAULT_UNIT_DEAF,      /* a unit neither answers nor hears: its drive watchdog trips */
	SIM_FAULT_DRIVE_FAULT,    /* a drive raises a fault code and disables itself */
	SIM_FAULT_STUCK_SWITCH,   /* a GPIO input stuck at a value */
	SIM_FAULT_ENCODER_LOSS,   /* a drive's position stops changing while the axis moves */
	SIM_FAULT_OVER_TEMP,      /* a heater's temperature reads high */
	SIM_FAULT_ESTOP,          /* the e-stop button is pressed */
	SIM_FAULT_UNOCCUPIED,     /* the person stands up */
	SIM_FAULT_SUPPLY,         /* supply voltage out of range */
	SIM_FAULT_TRAPPED,        /* something caught under the recline: current spike */
	SIM_FAULT_KIND_COUNT
};

#define SIM_FAULT_MAX 16

struct sim_fault {
	enum sim_fault_kind kind;
	int target;          /* enum hal_unit, enum hal_axis, enum hal_gpio_in, heater... */
	int value;           /* fault code, stuck value, temperature in 0.1 degC, voltage... */
	uint64_t at_ms;      /* simulated time it starts */
	uint64_t for_ms;     /* 0 = until the end */
};

/* Everything physical about one drive, for tests and telemetry. */
struct sim_drive {
	double position;   /* mm or deg, true mechanical position */
	double velocity;   /* mm/s or rpm */
	double encoder_offset; /* encoder reads position - offset: unknown before homing */
	double current_ma;
	double temp_c;
	uint16_t fault_code;
	bool enabled;
	uint32_t ms_since_write; /* the drive's own comm watchdog */
	struct hal_drive_out last_cmd;
};

struct sim {
	struct sim_person person;
	struct sim_drive drive[HAL_AXIS_COUNT];
	double airbag_kpa[HAL_AIRBAG_COUNT];
	double heater_c[HAL_HEATER_COUNT];
	double back_angle_deg;
	double leg_angle_deg;
	double supply_v;
	double contact_force_n;  /* true force of the roller on the body */
	uint64_t time_ms;
	uint64_t rng;
	int fault_count;
	struct sim_fault fault[SIM_FAULT_MAX];
	struct hal_inputs stale; /* what a silent unit last said */
	uint32_t estop_presses;
};

/* Start a chair at rest with the person in it, at random axis positions and encoder
 * offsets drawn from seed (so homing has something to find). */
void sim_init(struct sim *s, const struct sim_person *person, uint64_t seed);

/* Schedule a fault; -ENOSPC when the table is full, -EINVAL for a bad kind or target. */
int sim_fault_add(struct sim *s, const struct sim_fault *f);

/* Advance the physics by one millisecond under the given outputs. */
void sim_step_1ms(struct sim *s, const struct hal_outputs *out);

/* The process image as the controller would read it now. */
void sim_read(const struct sim *s, struct hal_inputs *in);

/* The person's verdict on what the roller does right now: true when the contact force
 * at the roller's place is beyond what they can take (a tender point or general limit). */
bool sim_person_too_much(const struct sim *s);

/* Parse a fault from text: "KIND TARGET VALUE AT_MS [FOR_MS]", e.g.
 * "unit_silent drive_z 0 5000" or "estop - 0 3000 200". Returns 0 or -EINVAL. */
int sim_fault_parse(const char *text, struct sim_fault *f);

#endif
