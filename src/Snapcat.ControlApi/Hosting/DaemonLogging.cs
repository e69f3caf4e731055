using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Snapcat.Core.Config;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// The daemons' log output as their configuration's <c>logging</c> block asks (<see cref="LoggingConfig"/>): simple lines,
/// systemd lines (a <c>&lt;N&gt;</c> syslog priority first, which journald turns into the entry's priority) or JSON lines,
/// all on stderr (stdout carries only the ready line), each with the date and time in ISO 8601 UTC.
/// </summary>
public static class DaemonLogging
{
    /// <summary>ISO 8601 in UTC to the millisecond, e.g. 2026-12-06T21:40:07.123Z.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    public static void Configure(ILoggingBuilder builder, LoggingConfig? config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string format = config?.Format?.ToLowerInvariant()
            ?? (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 } ? "systemd" : "simple");
        switch (format)
        {
            case "json":
                builder.AddJsonConsole(o =>
                {
                    o.TimestampFormat = TimestampFormat.TrimEnd();
                    o.UseUtcTimestamp = true;
                    o.IncludeScopes = false;
                });
                break;
            case "systemd":
                builder.AddSystemdConsole(o =>
                {
                    o.TimestampFormat = TimestampFormat;
                    o.UseUtcTimestamp = true;
                });
                break;
            default:
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = TimestampFormat;
                    o.UseUtcTimestamp = true;
                });
                break;
        }
        builder.SetMinimumLevel(MinimumLevel(config));
        builder.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    public static LogLevel MinimumLevel(LoggingConfig? config) =>
        (config?.Level is { } l ? LoggingConfig.NormalLevel(l) : null) switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "none" => LogLevel.None,
            _ => LogLevel.Information,
        };
}
