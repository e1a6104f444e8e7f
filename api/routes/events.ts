// The notification feed's JSON routes (SERVICES §4 "Notifications"): `GET /v1/events`.
import type { RouteSpec } from "./definitions";

/** Routes of the notification feed, served and documented like every other route. */
export const eventRoutes: RouteSpec[] = [];
