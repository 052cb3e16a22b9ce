// The renewal reminder in the app shell: shown when the account's plan is about to lapse (or has
// lapsed while more than the free quota is used), with a link to the Plans page.
import type { AccountPlan, HoardSession } from '@hoard/client';
import { useEffect, useState } from 'react';
import { formatBytes, formatDate } from './format';

export function RenewalBanner(props: {
  session: HoardSession;
  pathname: string;
  navigate: (path: string) => void;
}) {
  const { session } = props;
  const [plan, setPlan] = useState<AccountPlan>();
  useEffect(() => {
    session.payments.accountPlan().then(setPlan, () => undefined);
  }, [session, props.pathname]);
  if (!plan?.notice) return null;
  const text = plan.planExpiresAt
    ? `Your ${plan.planName} plan ends on ${formatDate(plan.planExpiresAt)}. Then your storage falls back to the free ${formatBytes(plan.freeQuotaBytes)}: nothing is deleted, but uploads over it are refused.`
    : `Your plan has ended and you use more than the free ${formatBytes(plan.freeQuotaBytes)}: uploads are refused until you free space or renew.`;
  return (
    <div className="renewal-banner" role="region" aria-label="Plan reminder">
      <p>{text}</p>
      {props.pathname !== '/billing' && (
        <a
          href="/billing"
          onClick={(e) => {
            e.preventDefault();
            props.navigate('/billing');
          }}
        >
          Renew on the Plans page
        </a>
      )}
    </div>
  );
}
