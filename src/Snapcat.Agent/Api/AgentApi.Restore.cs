using Microsoft.AspNetCore.Routing;
using Snapcat.Agent.Hosting;

namespace Snapcat.Agent.Api;

// Placeholder on branch agentd: the restore routes (volume restore FIG. 12, file restore FIG. 13) are
// written on branch agentrestore; the merge takes that file.
public static partial class AgentApi
{
    public static void MapRestoreApi(this IEndpointRouteBuilder app, AgentRuntime runtime)
    {
    }
}
