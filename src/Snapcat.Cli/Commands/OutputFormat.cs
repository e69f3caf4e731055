namespace Snapcat.Cli.Commands;

/// <summary><c>--output</c>: tables for people, JSON (camelCase, like the control APIs) for scripts.</summary>
public enum OutputFormat
{
    Table,
    Json,
}
