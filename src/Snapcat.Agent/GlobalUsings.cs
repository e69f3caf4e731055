// Namespaces most files of this project use; a file names only what it needs beyond them.
global using Snapcat.Contracts.Agent;
global using Snapcat.Core.Errors;
global using Snapcat.Core.Jobs;
global using Snapcat.Agent.Logging;
global using Snapcat.Agent.Hosting;
