namespace Snapcat.Server.Retention;

/// <summary>The retention rules, in the order a prune applies them (PBS: "processed in the order given").</summary>
public enum PruneRule
{
    Last,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}
