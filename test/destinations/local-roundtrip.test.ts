import { describeDemoRoundTrip } from "./roundtrip.ts";
import { stackEnv } from "../support/stack.ts";

describeDemoRoundTrip("local", () => stackEnv().DEST_LOCAL ?? "");
