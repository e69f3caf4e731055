namespace Snapcat.Agent.Tests;

public class ProjectSmokeTests
{
    [Fact]
    public void Assembly_loads() => Assert.Equal("Snapcat.Agent", typeof(Snapcat.Agent.AssemblyMarker).Assembly.GetName().Name);
}
