// Namespaces most files of this project use; a file names only what it needs beyond them.
global using Snapcat.Contracts.Array;
global using Snapcat.Contracts.Server;
global using Snapcat.Core.Errors;
// The CLI's own folders, one namespace each; every command file uses several of them.
global using Snapcat.Cli.Commands;
global using Snapcat.Cli.Commands.Agent;
global using Snapcat.Cli.Commands.Array;
global using Snapcat.Cli.Commands.Connection;
global using Snapcat.Cli.Commands.Init;
global using Snapcat.Cli.Commands.Jobs;
global using Snapcat.Cli.Commands.Server;
global using Snapcat.Cli.Commands.Tape;
global using Snapcat.Cli.Quickstart;
global using Snapcat.Cli.Rendering;
