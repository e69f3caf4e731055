using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Snapcat.Agent.Api;
using Snapcat.ControlApi.Hosting;
using Snapcat.ControlApi.Metrics;
using Snapcat.Core.Security;
using Snapcat.Nbd;

namespace Snapcat.Agent.Hosting;

/// <summary>The agent's web application: the shared plumbing (<see cref="ControlApiApp"/>) and the agent's routes.</summary>
public static class AgentApiHost
{
    public static WebApplication Build(AgentRuntime runtime, ILoggerFactory logs)
    {
        var config = runtime.Config;
        var listen = NbdAddress.Parse(config.Control.Listen);
        // The daemon handles SIGTERM/SIGINT itself (AgentDaemon), so that running jobs are cancelled
        // and their postprocesses run before the process ends.
        var app = ControlApiApp.CreateBuilder("snapcat-agent", listen.Host, listen.Port, logs, config.Control.ServedTls).Build();
        // A config built in code (tests) may carry only control.token: that is one admin credential.
        var credentials = config.ControlCredentials.Count > 0 ? config.ControlCredentials
            : [new Credential(Credential.ControlTokenName, config.Control.Token ?? "", CredentialRole.Admin)];
        app.UseControlApi(new ControlAccess(credentials, config.AuditFilePath), "agent", "control.token of the agent's configuration");
        app.MapAgentApi(runtime, logs);
        app.MapMetricsEndpoint(AgentMetrics.Create(runtime));
        return app;
    }
}
