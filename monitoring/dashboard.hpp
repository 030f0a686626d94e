#pragma once

#include <string_view>

namespace ferry::monitoring {

/// The operations dashboard: one self-contained HTML page, served by the ops
/// server at /dashboard, that reads /readyz and /metrics from its own origin
/// every few seconds and shows readiness and every ferry_* metric grouped by
/// family (connectors, backlogs, restarts, pools …). No external assets, so
/// it works on a machine without internet access.
std::string_view dashboard_html();

} // namespace ferry::monitoring
