// Moved: the sandbox provider is its own program under simulators/sandbox. This path keeps
// starters that still name it working until they name the new one.
import '../../../simulators/sandbox/main';
