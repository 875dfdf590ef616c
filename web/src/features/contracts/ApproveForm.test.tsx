import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApproveForm } from "./ApproveForm";

afterEach(cleanup);

function setup(overrides: Partial<Parameters<typeof ApproveForm>[0]> = {}) {
  const onSubmit = vi.fn();
  const onCancel = vi.fn();
  render(
    <ApproveForm
      milestoneTitle="Design"
      fundedAmount={10000}
      currency="USD"
      freelancerName="Fran"
      cardLabel="your Visa card ending 4242"
      onSubmit={onSubmit}
      onCancel={onCancel}
      {...overrides}
    />,
  );
  return { onSubmit, onCancel, user: userEvent.setup() };
}

const amountInput = () => screen.getByLabelText(/Amount to release/);

describe("ApproveForm: partial or extra release (R13, R15)", () => {
  it("starts at the funded amount and releases it in full", async () => {
    const { onSubmit, user } = setup();
    expect(amountInput()).toHaveProperty("value", "100.00");
    expect(screen.getByTestId("release-explanation").textContent).toContain(
      "$100.00 in escrow is released to Fran",
    );
    await user.click(screen.getByRole("button", { name: "Review release" }));
    await user.click(screen.getByRole("button", { name: "Release $100.00" }));
    expect(onSubmit).toHaveBeenCalledWith(10000, expect.any(String));
  });

  it("releasing less says the rest stays as unallocated escrow, and sends integer minor units", async () => {
    const { onSubmit, user } = setup();
    await user.clear(amountInput());
    await user.type(amountInput(), "70.10");
    const text = screen.getByTestId("release-explanation").textContent ?? "";
    expect(text).toContain("$70.10 is released to Fran");
    expect(text).toContain("The other $29.90 stays in this contract’s escrow as unallocated");
    await user.click(screen.getByRole("button", { name: "Review release" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog.textContent).toContain("$29.90");
    await user.click(screen.getByRole("button", { name: "Release $70.10" }));
    expect(onSubmit).toHaveBeenCalledWith(7010, expect.any(String));
    expect(Number.isInteger(onSubmit.mock.calls[0]![0])).toBe(true);
  });

  it("releasing more says exactly what extra is charged to the card", async () => {
    const { onSubmit, user } = setup();
    await user.clear(amountInput());
    await user.type(amountInput(), "120.50");
    const text = screen.getByTestId("release-explanation").textContent ?? "";
    expect(text).toContain("the $100.00 in escrow plus $20.50 extra");
    expect(text).toContain("The extra $20.50 is charged to your Visa card ending 4242");
    await user.click(screen.getByRole("button", { name: "Review release" }));
    await user.click(screen.getByRole("button", { name: "Release $120.50" }));
    expect(onSubmit).toHaveBeenCalledWith(12050, expect.any(String));
  });

  it("refuses too many decimals and an extra release without a card", async () => {
    const { onSubmit, user } = setup({ cardLabel: null });
    await user.clear(amountInput());
    await user.type(amountInput(), "50.555");
    expect(screen.getByText("USD allows at most 2 decimal places")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Review release" })).toHaveProperty("disabled", true);
    await user.clear(amountInput());
    await user.type(amountInput(), "150");
    expect(screen.getByRole("alert").textContent).toContain("add a card first");
    expect(screen.getByRole("button", { name: "Review release" })).toHaveProperty("disabled", true);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("works in a zero-decimal currency (JPY)", async () => {
    const { onSubmit, user } = setup({ fundedAmount: 5000, currency: "JPY" });
    expect(amountInput()).toHaveProperty("value", "5000");
    await user.clear(amountInput());
    await user.type(amountInput(), "4000");
    expect(screen.getByTestId("release-explanation").textContent).toMatch(/1,000/);
    await user.click(screen.getByRole("button", { name: "Review release" }));
    await user.click(screen.getByRole("button", { name: /^Release/ }));
    expect(onSubmit).toHaveBeenCalledWith(4000, expect.any(String));
  });
});
