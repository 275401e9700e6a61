// object_check.h — what a student's compiled file may contain before it is linked into a
// test executable. The tests run in the same process as the student's code, so the
// verdict can only be trusted if that code cannot take the process over; this check
// refuses, with a one-line reason naming the symbol, an object that
//   - runs code before main or after it (dynamic initialisation or finalisation:
//     .init_array, .ctors, .preinit_array, .fini_array, .dtors) — the forged-report attack
//     wrote its report from a global constructor;
//   - contains a system-call instruction (syscall, sysenter, int 0x80);
//   - refers to an API that ends, forks, signals or re-executes the process, opens, writes
//     or maps files or memory, or finds other code at run time (exit, _exit, fork, execve,
//     system, kill, setsid, open, fopen, write, std::ofstream, std::filesystem, mmap,
//     mprotect, dlsym, longjmp, ...), or anything of Catch2 or of the tests' helpers;
//   - defines, with a strong definition, a symbol the framework or the tests define (it
//     would replace theirs: the helper-override attack), or anything in Catch2's or the
//     tests' namespaces.
// What it does not do: see through code that reaches the harness by raw pointers, or a
// weak (inline) redefinition of a framework function under the one-definition rule; the
// file header of grader/grade.h lists what is left.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hd::grade {

/// One entry of `nm -P`: a (mangled) name and nm's type letter.
struct Symbol {
    std::string name;
    char type = '?';
};

/// What the check looks at, read from an object file by read_object_facts().
struct ObjectFacts {
    std::vector<Symbol> symbols;          // defined and undefined
    std::vector<std::string> sections;    // section names
    std::vector<std::string> mnemonics;   // the distinct instruction mnemonics of its code
    // The static initialiser (_GLOBAL__sub_I_*): its instruction count and the symbols its
    // relocations name. <iostream> before GCC 13 gives every file one that only constructs
    // std::ios_base::Init; that one is allowed.
    int initialiser_instructions = 0;
    std::vector<std::string> initialiser_targets;
    bool incomplete = false;              // a tool failed or its output was cut
};

/// Why `object` must not be linked (one line), or nothing. `own_definitions` are the
/// symbols the shipped stub of the same file defines (the file's own functions);
/// `program_definitions` every symbol defined in a test executable built with the stubs.
std::optional<std::string> refusal(const ObjectFacts& object, const std::set<std::string>& own_definitions,
                                   const std::set<std::string>& program_definitions);

/// Parses `nm -P` output.
std::vector<Symbol> parse_nm(const std::string& text);
/// Parses the section names out of `readelf -SW` output.
std::vector<std::string> parse_sections(const std::string& text);
/// Parses the distinct mnemonics out of `objdump -dr --no-show-raw-insn` output.
std::vector<std::string> parse_mnemonics(const std::string& text);
/// Fills the initialiser fields of `facts` from `objdump -dr --no-show-raw-insn` output.
void parse_initialiser(const std::string& text, ObjectFacts& facts);

/// Runs nm, readelf and objdump (trusted tools) on `path`.
ObjectFacts read_object_facts(const std::string& path);

/// The names of the symbols `path` (an object or executable) defines.
std::set<std::string> defined_symbols(const std::string& path);

/// A symbol's C++ name ("std::exit" style), or the name itself when it is not mangled.
std::string demangle(const std::string& name);

}  // namespace hd::grade
