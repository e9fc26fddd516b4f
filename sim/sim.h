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
	/* The back's surface along the track (sim/person.c): the shoulder blades bring it
	 * blade_mm nearer the roller around T4, the lumbar curve takes it lumbar_mm further
	 * around L3, and above the shoulder line it gives way to the neck, neck_recess_mm
	 * further, over the neck_rise_mm above the line. */
	double blade_mm;
	double lumbar_mm;
	double neck_recess_mm;
	double neck_rise_mm;
	int tender_count;
	struct sim_tender_point tender[SIM_TENDER_MAX];
	double too_much_n;           /* contact force too much anywhere, tender or not */
	bool seated;
};

/* A random person from a seed; sim_person_default is a 175 cm median person. */
void sim_person_random(struct sim_person *p, uint64_t seed);
void sim_person_default(struct sim_person *p);
/* The person sim_person_random(seed) would give, but height_cm tall (clamped to 150..200,
 * the heights the chair supports): the same draws for everything else, and the body laid
 * out from this height. */
void sim_person_of_height(struct sim_person *p, double height_cm, uint64_t seed);
enum sim_zone sim_person_zone_at(const struct sim_person *p, double y_mm);
/* Contact force the roller makes at carriage position y_mm, protruding z_mm. The surface
 * follows the back's shape (blade_mm, lumbar_mm) and recedes above the shoulder line;
 * zero above the neck (zone_start_y_mm[SIM_ZONE_NECK]), where sim_person_zone_at still
 * says NECK, and zero when nobody is seated. Smooth in y_mm and z_mm. */
double sim_person_contact_n(const struct sim_person *p, double y_mm, double z_mm);
/* The smallest contact force this person calls "too much" at y_mm. */
double sim_person_limit_n(const struct sim_person *p, double y_mm);

enum sim_fault_kind {
	SIM_FAULT_UNIT_SILENT,    /* a bus unit stops answering: its inputs go stale */
	SIM_FAULT_UNIT_DEAF,      /* a unit neither answers nor hears: its drive watchdog trips */
	SIM_FAULT_DRIVE_FAULT,    /* a drive raises a fault code and disables itself */
	SIM_FAULT_STUCK_SWITCH,   /* a GPIO input stuck at a value (logical, as the image has it) */
	SIM_FAULT_ENCODER_LOSS,   /* a drive's position stops changing while the axis moves */
	SIM_FAULT_OVER_TEMP,      /* a heater's temperature reads high */
	SIM_FAULT_ESTOP,          /* the e-stop button is pressed */
	SIM_FAULT_UNOCCUPIED,     /* the person stands up */
	SIM_FAULT_SUPPLY,         /* supply voltage out of range */
	SIM_FAULT_TRAPPED,        /* something caught under the recline: current spike */
	SIM_FAULT_RECLINE_STUCK,  /* a recline actuator runs (normal current) but its angle
	                             does not change: a stripped gear, a slipping clutch */
	SIM_FAULT_DRIVE_OVER_TEMP, /* a drive's winding held at value (0.1 degC) while the fault
	                              lasts (its cooling failed); afterwards it cools at its
	                              own pace */
	/* On the wire only: chairsim's Modbus server looks these up; the in-process
	 * simulator has no wire and ignores them. */
	SIM_FAULT_LATE,           /* a unit answers value ms late */
	SIM_FAULT_EXCEPTION,      /* a unit answers with Modbus exception value (1..11) */
	SIM_FAULT_BAD_CRC,        /* value % of the line's answers are corrupt */
	SIM_FAULT_KIND_COUNT
};

#define SIM_FAULT_MAX 16

/* Fault code a drive raises when its comm watchdog trips (CiA 402 "heartbeat error"). */
#define SIM_DRIVE_FAULT_COMM_TIMEOUT 0x8130

struct sim_fault {
	enum sim_fault_kind kind;
	int target;          /* enum hal_unit, enum hal_axis, enum hal_gpio_in, heater... */
	int value;           /* fault code, stuck value, temperature in 0.1 degC, voltage... */
	uint64_t at_ms;      /* simulated time it starts */
	uint64_t for_ms;     /* 0 = until the end */
};

/* Everything physical about one drive, for tests and telemetry.
 *
 * How a simulated drive behaves (sim/drive.c): velocity mode follows target_velocity with
 * a 10 ms lag under the axis' accel limit; position mode runs its own loop to
 * target_position at up to |target_velocity| (0 = the axis maximum) and sets AT_TARGET
 * within 0.5 mm or deg; force mode (Z only) regulates to target_force, approaching at
 * |target_velocity| or 30 mm/s. Z in velocity and position mode stops extending at once
 * while the contact force is above zero and at or past target_force (so 0 = may touch,
 * never press), and in every mode while holding the force would take more than
 * current_limit_ma (200 mA + 30 mA/N; 0 = the drive's 5 A). Axis limits: Y 100 mm/s,
 * 1000 mm/s^2; Z 250 mm/s, 10000 mm/s^2; K 60 rpm; T 720 rpm; W 20 mm/s. A fault, the comm
 * watchdog included (SIM_DRIVE_FAULT_COMM_TIMEOUT, armed by the first write), disables the
 * drive until a write with FAULT_RESET after its cause is gone; a faulted Z retracts to its
 * home switch at 200 mm/s by itself while the drive_enable line is on.
 *
 * Z's depth gear is the reference chair's self-locking worm (CHAIR.md): only its motor moves
 * the roller. Without torque (drive_enable off, disabled, faulted without power) the roller
 * stops within 0.4 mm from any speed (the rotor's momentum through the worm) and then stays
 * where it is, pressing or not; a current limit too low to hold the body only stops it
 * extending. With back_drivable set (another chair's gear) the body pushes a roller back
 * whenever the drive does not hold it: unpowered, or past what current_limit_ma holds. */
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
	bool heard;              /* the watchdog arms with the first write */
	bool encoder_lost;
	double lost_at_position; /* where the encoder stopped counting */
	bool back_drivable;      /* Z only: the body can push the roller back (default false:
	                            the reference chair's worm gear locks) */
};

/* The digital IO module's host watchdog (CHAIR.md, holding register 0). A request of any
 * kind that reaches the module feeds it; with none for comm_timeout_ms (0 = off, as at
 * power-up) the module puts its coils in their safe state by itself: heaters, pump, the
 * recline and leg relays, buzzer and led off; vent and every zone valve open. drive_enable
 * is left as it is: the drives have their own watchdog, and the Z drive must keep its power
 * to retract by itself (a drive without it would leave the roller pressed in). The coils
 * hold that state until the module is written again. */
struct sim_dio {
	uint16_t comm_timeout_ms; /* holding register 0, as last written */
	uint32_t quiet_ms;        /* since a request last reached the module */
	bool tripped;             /* coils safe, held until written again */
	uint32_t trips;
};

/* The charge-pump relay of a board whose lines are local (CHAIR.md, LinuxCNC's charge
 * pump): it powers the heaters and the pump while the heartbeat line toggles. With no
 * edge for SIM_CHARGE_PUMP_DROP_MS it drops out and the heater and pump lines reach
 * nothing; it pulls in again on its own after SIM_CHARGE_PUMP_PULL_IN_EDGES edges, as a
 * real charge pump re-energises (the controller's latch, not the relay, keeps a faulted
 * chair safe: its safe state has heaters and pump off). It starts dropped out, so heaters
 * and pump wait for the rt thread's first ticks. Not fitted by default: set fitted after
 * sim_init for a chair with local lines. */
#define SIM_CHARGE_PUMP_DROP_MS 50
#define SIM_CHARGE_PUMP_PULL_IN_EDGES 10

struct sim_charge_pump {
	bool fitted;
	bool energised;
	bool heartbeat;     /* the line's level at the last step */
	uint32_t still_ms;  /* since its last edge */
	uint32_t edges;     /* since the relay last dropped out (up to the pull-in count) */
	uint32_t drops;
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
	struct hal_inputs stale; /* the image as of the last step: what every unit last said,
	                            which for a silent unit is old */
	uint32_t estop_presses;
	uint32_t gpio_out;       /* output lines as the chair last received them (the DIO
	                            module's coils as they are, after its watchdog) */
	struct sim_dio dio;
	struct sim_charge_pump charge_pump;
	double back_current_ma;
	double leg_current_ma;
	bool estop_pressed;      /* for counting press edges */
};

/* Start a chair at rest with the person in it, at random axis positions and encoder
 * offsets drawn from seed (so homing has something to find). */
void sim_init(struct sim *s, const struct sim_person *person, uint64_t seed);

/* Schedule a fault; -ENOSPC when the table is full, -EINVAL for a bad kind or target. */
int sim_fault_add(struct sim *s, const struct sim_fault *f);

/* Advance the physics by one millisecond under the given outputs: every unit that is not
 * deaf receives its part of out (sim_write_unit), then sim_advance_1ms. */
void sim_step_1ms(struct sim *s, const struct hal_outputs *out);

/* Deliver one unit's part of the outputs, as a bus write would: a drive's holding
 * registers (feeding its watchdog; FAULT_RESET clears a fault whose injection has ended)
 * or, for HAL_UNIT_DIO, the output lines and dio_comm_timeout_ms (its holding register 0;
 * feeding its watchdog and ending a safe state it holds). Ignored while the unit is deaf;
 * HAL_UNIT_IO has no outputs. For a Modbus server that writes units at their own pace. */
void sim_write_unit(struct sim *s, enum hal_unit u, const struct hal_outputs *out);

/* A request that writes nothing reached the DIO module (a Modbus server's read of its
 * inputs): it feeds the module's watchdog all the same. Ignored while the unit is deaf. */
void sim_dio_request(struct sim *s);

/* Advance the physics by one millisecond with what the units last received. */
void sim_advance_1ms(struct sim *s);

/* The process image as the controller would read it now (built by the last step, so a
 * fault starting at at_ms shows from the step that starts at at_ms). A silent or deaf
 * unit keeps its old values and its unit[].age_ms counts the ms since it last answered.
 *
 * Lines and angles: the drive_enable line off is safe torque off (no drive can enable or
 * move by itself). back_up raises the backrest toward upright (angle falls toward
 * back_min at 100 deg), back_down reclines it (toward back_max at 155 deg); leg_up raises
 * the legrest (angle rises toward leg_max at 70 deg), leg_down lowers it. */
void sim_read(const struct sim *s, struct hal_inputs *in);

/* The person's verdict on what the roller does right now: true when the contact force
 * at the roller's place is beyond what they can take (a tender point or general limit). */
bool sim_person_too_much(const struct sim *s);

/* Parse a fault from text: "KIND TARGET VALUE AT_MS [FOR_MS]", e.g.
 * "unit_silent drive_z 0 5000" or "estop - 0 3000 200". Returns 0 or -EINVAL. */
int sim_fault_parse(const char *text, struct sim_fault *f);

/* The kind's name as sim_fault_parse takes it ("unit_silent"), "?" when out of range. */
const char *sim_fault_kind_name(enum sim_fault_kind kind);

/* Whether a fault of this kind is active at time t_ms; target -1 matches any target.
 * The value of the matching fault goes to *value when value is not NULL. */
bool sim_fault_active(const struct sim *s, enum sim_fault_kind kind, int target,
		      uint64_t t_ms, int *value);

#endif
