import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SplitForm } from "./SplitForm";

afterEach(cleanup);

function setup(amount = 3000, currency = "USD") {
  const onSubmit = vi.fn();
  render(
    <SplitForm
      amount={amount}
      currency={currency}
      clientName="Carol"
      freelancerName="Fran"
      onSubmit={onSubmit}
    />,
  );
  return { onSubmit, user: userEvent.setup() };
}

const refund = () => screen.getByLabelText(/Refund to Carol/);
const release = () => screen.getByLabelText(/Release to Fran/);
const status = () => screen.getByTestId("split-status").textContent ?? "";
const review = () => screen.getByRole("button", { name: "Review decision" });

describe("SplitForm: refund + release must equal the disputed amount (R19)", () => {
  it("validates the sum live and only then allows the decision", async () => {
    const { onSubmit, user } = setup();
    expect(review()).toHaveProperty("disabled", true);
    await user.type(refund(), "10");
    await user.type(release(), "15");
    expect(status()).toContain("$5.00 short");
    await user.type(screen.getByLabelText(/Reason/), "Half the work was delivered");
    expect(review()).toHaveProperty("disabled", true);
    await user.clear(release());
    await user.type(release(), "25");
    expect(status()).toContain("$5.00 too much");
    expect(review()).toHaveProperty("disabled", true);
    await user.clear(release());
    await user.type(release(), "20");
    expect(status()).toContain("Adds up to $30.00");
    expect(review()).toHaveProperty("disabled", false);
    await user.click(review());
    expect(screen.getByRole("alertdialog").textContent).toContain(
      "$10.00 is refunded to Carol’s card and $20.00 is released to Fran",
    );
    await user.click(screen.getByRole("button", { name: "Settle dispute" }));
    expect(onSubmit).toHaveBeenCalledWith(
      { refundAmount: 1000, releaseAmount: 2000, reason: "Half the work was delivered" },
      expect.any(String),
    );
  });

  it("needs a reason even when the amounts add up", async () => {
    const { user } = setup();
    await user.type(refund(), "30");
    await user.type(release(), "0");
    expect(status()).toContain("Adds up to $30.00");
    expect(review()).toHaveProperty("disabled", true);
  });

  it("fills the release with the rest, exactly, in a 3-decimal currency", async () => {
    const { onSubmit, user } = setup(10_001, "KWD");
    await user.type(refund(), "3.333");
    await user.click(screen.getByRole("button", { name: "Release the rest" }));
    expect(release()).toHaveProperty("value", "6.668");
    expect(status()).toMatch(/Adds up to .*10\.001/);
    await user.type(screen.getByLabelText(/Reason/), "split");
    await user.click(review());
    await user.click(screen.getByRole("button", { name: "Settle dispute" }));
    expect(onSubmit).toHaveBeenCalledWith(
      { refundAmount: 3333, releaseAmount: 6668, reason: "split" },
      expect.any(String),
    );
  });
});
