// object_check.cpp — refuses student objects that could take over the test process.
#include "grader/object_check.h"

#include "grader/runner.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace hd::grade {

namespace {

// C functions (and data) a homework Part never needs and an attack does: ending,
// forking, signalling or re-executing the process; files, pipes, sockets and raw fds;
// mapping or protecting memory; finding code or symbols at run time; leaving a call
// frame by a jump; changing user or folder.
const std::set<std::string>& forbidden_functions() {
    static const std::set<std::string> names = {
        "exit", "_exit", "_Exit", "quick_exit", "at_quick_exit", "fork", "vfork", "clone", "clone3", "__clone",
        "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "posix_spawn", "posix_spawnp",
        "system", "popen", "pclose", "wait", "waitpid", "wait3", "wait4", "waitid", "kill", "killpg", "tgkill",
        "raise", "signal", "sigaction", "sigprocmask", "pthread_sigmask", "pthread_kill", "sigqueue", "alarm",
        "setitimer", "setsid", "setpgid", "setpgrp", "daemon", "ptrace", "prctl", "personality", "open", "open64",
        "openat", "openat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2", "creat", "creat64", "fopen",
        "fopen64", "freopen", "freopen64", "fdopen", "fdopendir", "opendir", "tmpfile", "tmpfile64", "mkstemp",
        "mkostemp", "mkstemps", "tmpnam", "write", "pwrite", "pwrite64", "writev", "pwritev", "read", "pread",
        "pread64", "readv", "__read_chk", "close", "dup", "dup2", "dup3", "pipe", "pipe2", "fcntl", "fcntl64",
        "ioctl", "socket", "socketpair", "connect", "bind", "listen", "accept", "send", "sendto", "sendmsg",
        "mmap", "mmap64", "mprotect", "mremap", "munmap", "pkey_mprotect", "dlopen", "dlmopen", "dlsym", "dlvsym",
        "dladdr", "dl_iterate_phdr", "_dl_find_object", "_r_debug", "getauxval", "syscall", "setuid", "setgid",
        "seteuid", "setegid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "chmod", "fchmod",
        "fchmodat", "chown", "fchown", "lchown", "fchownat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
        "remove", "mkdir", "mkdirat", "rmdir", "symlink", "symlinkat", "link", "linkat", "truncate", "truncate64",
        "ftruncate", "ftruncate64", "chdir", "fchdir", "chroot", "mount", "umount", "umount2", "setjmp", "_setjmp",
        "sigsetjmp", "__sigsetjmp", "longjmp", "_longjmp", "siglongjmp", "__longjmp_chk", "environ", "__environ",
        "program_invocation_name", "__libc_start_main"};
    return names;
}

// Parts of mangled C++ names that mean the same things: file streams and buffers,
// std::filesystem, a FILE* or fd wrapped as a stream buffer, Catch2, the tests' helpers.
const std::vector<std::pair<std::string, std::string>>& forbidden_fragments() {
    static const std::vector<std::pair<std::string, std::string>> fragments = {
        {"St14basic_ofstream", "std::ofstream"},  {"St14basic_ifstream", "std::ifstream"},
        {"St13basic_fstream", "std::fstream"},    {"St13basic_filebuf", "std::filebuf"},
        {"St10filesystem", "std::filesystem"},    {"13stdio_filebuf", "__gnu_cxx::stdio_filebuf"},
        {"18stdio_sync_filebuf", "__gnu_cxx::stdio_sync_filebuf"}, {"5Catch", "Catch2"},
        {"9part_test", "the tests' helpers (hd::part_test)"}};
    return fragments;
}

const std::set<std::string>& forbidden_sections() {
    static const std::set<std::string> names = {".init_array", ".preinit_array", ".ctors", ".fini_array", ".dtors"};
    return names;
}

bool is_definition(char type) { return type != 'U' && type != 'w' && type != 'v' && type != '?'; }
bool is_global(char type) { return (type >= 'A' && type <= 'Z') || type == 'u' || type == 'i'; }
bool is_weak(char type) { return type == 'W' || type == 'V' || type == 'u'; }

/// "std::filesystem" when the mangled `name` holds a forbidden fragment, "" otherwise.
std::string forbidden_fragment(const std::string& name) {
    if (name.rfind("_Z", 0) != 0) return "";
    for (const auto& [fragment, meaning] : forbidden_fragments())
        if (name.find(fragment) != std::string::npos) return meaning;
    return "";
}

std::string strip_version(const std::string& name) { return name.substr(0, name.find('@')); }

/// Is the object's static initialiser <iostream>'s alone (construct std::ios_base::Init,
/// register its destructor), a handful of instructions naming nothing else?
bool only_iostream_init(const ObjectFacts& object) {
    static const std::set<std::string> allowed = {"_ZNSt8ios_base4InitC1Ev", "_ZNSt8ios_base4InitD1Ev", "__cxa_atexit",
                                                  "__dso_handle", "_ZStL8__ioinit", ".bss"};
    if (object.initialiser_instructions == 0 || object.initialiser_instructions > 16) return false;
    for (const std::string& target : object.initialiser_targets)
        if (!allowed.count(target)) return false;
    return true;
}

std::string run_tool(const std::vector<std::string>& argv, bool& incomplete) {
    Limits limits;
    limits.seconds = 120.0;
    limits.output_bytes = size_t{256} << 20;
    const RunResult result = run(argv, limits, Sandbox{}, false);
    if (!result.ok() || result.output_cut) incomplete = true;
    return result.output;
}

}  // namespace

std::string demangle(const std::string& name) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
    return status == 0 && text ? std::string(text.get()) : name;
}

std::optional<std::string> refusal(const ObjectFacts& object, const std::set<std::string>& own_definitions,
                                   const std::set<std::string>& program_definitions) {
    if (object.incomplete) return "could not be checked (nm, readelf or objdump failed on it, or it is too large)";
    for (const std::string& section : object.sections)
        if (forbidden_sections().count(section) && !(section == ".init_array" && only_iostream_init(object)))
            return "runs code before or after main (" + section +
                   "): a global with a constructor or destructor; move it into the function";
    for (const std::string& mnemonic : object.mnemonics)
        if (mnemonic == "syscall" || mnemonic == "sysenter" || mnemonic == "int")
            return "contains a '" + mnemonic + "' instruction: a homework file makes no system calls";
    for (const Symbol& symbol : object.symbols) {
        const std::string name = strip_version(symbol.name), fragment = forbidden_fragment(name);
        if (!is_definition(symbol.type)) {
            if (forbidden_functions().count(name)) return "uses " + name + "(), which a homework file may not call";
            if (!fragment.empty()) return "uses " + demangle(name) + " (" + fragment + "), which a homework file may not use";
            continue;
        }
        if (!is_global(symbol.type)) continue;
        if (!fragment.empty()) return "defines " + demangle(name) + " (" + fragment + "), which belongs to the tests";
        if (!is_weak(symbol.type) && program_definitions.count(name) && !own_definitions.count(name))
            return "defines " + demangle(name) + ", which the framework or the tests already define";
    }
    return std::nullopt;
}

std::vector<Symbol> parse_nm(const std::string& text) {
    std::vector<Symbol> symbols;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Symbol symbol;
        std::string type;
        if (fields >> symbol.name >> type && type.size() == 1) {
            symbol.type = type[0];
            symbols.push_back(symbol);
        }
    }
    return symbols;
}

std::vector<std::string> parse_sections(const std::string& text) {
    std::vector<std::string> names;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const size_t bracket = line.find(']');
        if (line.find('[') == std::string::npos || bracket == std::string::npos) continue;
        std::istringstream fields(line.substr(bracket + 1));
        std::string name;
        if (fields >> name && name[0] == '.') names.push_back(name);
    }
    return names;
}

std::vector<std::string> parse_mnemonics(const std::string& text) {
    std::set<std::string> found;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        // "   1c:\tsyscall" / "   20:\tcall   40 <f>": the mnemonic follows the address's tab.
        const size_t colon = line.find(":\t");
        if (colon == std::string::npos || line.find_first_not_of(" 0123456789abcdef") != colon) continue;
        std::istringstream fields(line.substr(colon + 2));
        std::string word;
        while (fields >> word && (word == "lock" || word == "rep" || word == "repz" || word == "repnz" ||
                                  word == "notrack" || word == "bnd" || word == "data16" || word == "cs")) {
        }
        if (!word.empty()) found.insert(word);
    }
    return {found.begin(), found.end()};
}

void parse_initialiser(const std::string& text, ObjectFacts& facts) {
    std::istringstream in(text);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.find(">:") != std::string::npos && line.find('<') != std::string::npos) {
            inside = line.find("<_GLOBAL__sub_I_") != std::string::npos;
            continue;
        }
        if (!inside) continue;
        const size_t reloc = line.find("R_X86_64_");
        if (reloc != std::string::npos) {
            std::istringstream fields(line.substr(reloc));
            std::string type, target;
            fields >> type >> target;
            facts.initialiser_targets.push_back(target.substr(0, target.find_first_of("+-")));
        } else if (line.find(":\t") != std::string::npos) {
            ++facts.initialiser_instructions;
        }
    }
}

ObjectFacts read_object_facts(const std::string& path) {
    ObjectFacts facts;
    facts.symbols = parse_nm(run_tool({"nm", "-P", path}, facts.incomplete));
    facts.sections = parse_sections(run_tool({"readelf", "-SW", path}, facts.incomplete));
    const std::string code = run_tool({"objdump", "-dr", "--no-show-raw-insn", path}, facts.incomplete);
    facts.mnemonics = parse_mnemonics(code);
    parse_initialiser(code, facts);
    return facts;
}

std::set<std::string> defined_symbols(const std::string& path) {
    bool incomplete = false;
    std::set<std::string> names;
    for (const Symbol& symbol : parse_nm(run_tool({"nm", "-P", "--defined-only", path}, incomplete)))
        names.insert(strip_version(symbol.name));
    return names;
}

}  // namespace hd::grade
