import { useOutletContext } from "react-router-dom";
import type { User } from "../api/types";

/** The logged-in user, inside the signed-in shell. */
export function useUser(): User {
  return useOutletContext<User>();
}
