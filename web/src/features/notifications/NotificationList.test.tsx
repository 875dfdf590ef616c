import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppNotification } from "../../api/types";
import { NotificationList } from "./NotificationList";

afterEach(cleanup);

const items: AppNotification[] = [
  {
    id: "ntf_2",
    type: "milestone.submitted",
    contractId: "ctr_1",
    message: "Fran submitted work on “Design”.",
    createdAt: "2026-11-20T10:00:00.000Z",
    readAt: null,
  },
  {
    id: "ntf_1",
    type: "contract.accepted",
    contractId: "ctr_1",
    message: "Fran accepted your offer.",
    createdAt: "2026-11-19T10:00:00.000Z",
    readAt: "2026-11-19T11:00:00.000Z",
  },
];

function setup(busyId: string | null = null) {
  const onMarkRead = vi.fn();
  render(
    <MemoryRouter>
      <NotificationList items={items} onMarkRead={onMarkRead} busyId={busyId} />
    </MemoryRouter>,
  );
  const [unread, read] = screen.getAllByRole("listitem") as [HTMLElement, HTMLElement];
  return { onMarkRead, unread, read, user: userEvent.setup() };
}

describe("NotificationList (R22: the parties hear what happened)", () => {
  it("says in words which notifications are unread, and only those can be marked read", () => {
    const { unread, read } = setup();
    expect(unread.textContent).toContain("Unread");
    expect(unread.textContent).toContain("Fran submitted work on “Design”.");
    expect(read.textContent).not.toContain("Unread");
    expect(within(unread).getByRole("button", { name: "Mark read" })).toBeTruthy();
    expect(within(read).queryByRole("button", { name: "Mark read" })).toBeNull();
    for (const item of [unread, read]) {
      expect(
        within(item).getByRole("link", { name: "Open the contract" }).getAttribute("href"),
      ).toBe("/contracts/ctr_1");
    }
  });

  it("marks an unread notification read from its button or by opening its contract; a read one is left alone", async () => {
    const { onMarkRead, unread, read, user } = setup();
    await user.click(within(unread).getByRole("button", { name: "Mark read" }));
    expect(onMarkRead).toHaveBeenLastCalledWith("ntf_2");
    await user.click(within(unread).getByRole("link", { name: "Open the contract" }));
    expect(onMarkRead).toHaveBeenCalledTimes(2);
    await user.click(within(read).getByRole("link", { name: "Open the contract" }));
    expect(onMarkRead).toHaveBeenCalledTimes(2);
  });

  it("holds the button of the notification being marked", () => {
    const { unread } = setup("ntf_2");
    expect(within(unread).getByRole("button", { name: "Mark read" })).toHaveProperty(
      "disabled",
      true,
    );
  });
});
