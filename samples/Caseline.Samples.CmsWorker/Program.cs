using Caseline.Samples.CmsWorker;

// A CMS's middleware, the part the original system left to each agency: read every change from Caseline,
// keep a local copy of current profiles, and hand each change to the CMS, resuming exactly after a restart.
var builder = Host.CreateApplicationBuilder(args);
// HttpClient logs every request at Information, several lines per feed page: they would bury the worker's own lines.
builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
var settings = builder.Configuration.GetSection("Cms").Get<CmsSettings>() ?? new CmsSettings();
builder.Services.AddCmsWorker(settings);

var host = builder.Build();
var logger = host.Services.GetRequiredService<ILogger<CmsSettings>>();
var dataDirectory = Path.GetFullPath(settings.DataDirectory);
CmsWorker.LogDataDirectory(logger, dataDirectory);
host.Run();
