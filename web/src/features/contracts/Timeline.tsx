import type { Contract, ContractEvent } from "../../api/types";
import { Time } from "../../components/Time";
import { actorName, describeEvent } from "./history";

export function Timeline({ contract, events }: { contract: Contract; events: ContractEvent[] }) {
  return (
    <ol className="timeline">
      {events.map((event) => (
        <li key={event.id} data-event-type={event.type}>
          <div className="timeline-when small muted">
            <Time iso={event.createdAt} /> · {actorName(event, contract)}
          </div>
          <div>{describeEvent(event, contract)}</div>
        </li>
      ))}
    </ol>
  );
}
