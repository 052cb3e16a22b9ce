// The plans on offer: the built-in free plan (the configured free quota, never lapses) and the
// operator's HOARD_PLANS, prices in integer satoshis.
import type { Plan } from '@hoard/protocol';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';

export const FREE_PLAN_ID = 'free';

/** Every plan, the free one first. */
export function plansOf(config: Config): Plan[] {
  const free: Plan = {
    id: FREE_PLAN_ID,
    name: 'Free',
    quotaBytes: config.freeQuotaBytes,
    priceSats: 0,
    periodDays: 0,
  };
  return [free, ...config.plans.map((p) => ({ ...p }))];
}

/** A paid plan by id; UNKNOWN_PLAN for the free plan or an id that is not offered. */
export function getPaidPlan(config: Config, planId: string): Plan {
  const plan = config.plans.find((p) => p.id === planId);
  if (!plan) {
    const offered = config.plans.map((p) => p.id).join(', ') || 'none';
    throw new AppError('UNKNOWN_PLAN', `no plan "${planId.slice(0, 40)}" is offered (plans: ${offered})`);
  }
  return plan;
}

/** The name of a plan id (an id no longer offered keeps its id as its name). */
export function planName(config: Config, planId: string): string {
  return plansOf(config).find((p) => p.id === planId)?.name ?? planId;
}
