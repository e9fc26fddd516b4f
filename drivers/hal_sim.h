/* The in-process simulator backend: the chair and the person of sim/ behind the HAL ops,
 * in lockstep with the tick. Every write advances the physics by one period (1 ms), so a
 * loop of read, tick, write is a simulation that runs as fast as the CPU allows. */
#ifndef HAL_SIM_H
#define HAL_SIM_H

#include "../sim/sim.h"
#include "hal.h"

struct hal_sim {
	struct sim sim;
	struct sim_person person; /* who sits in it, from cfg->sim_seed */
};

/* Point b's ops at hs; open then builds the chair. */
void hal_sim_bind(struct hal_sim *hs, struct hal_backend *b);

/* The simulation behind the backend: for tests to inject faults and look at the truth. */
struct sim *hal_sim_get(struct hal_sim *hs);

#endif
