# ps_macros.m4 - small helpers for pairstore's configure.ac.

# PS_CHECK_CFLAG(FLAG, [ACTION-IF-SUPPORTED], [ACTION-IF-NOT])
# Test-compile an empty program with FLAG (plus -Werror so that compilers
# which only warn about unknown flags are caught).
AC_DEFUN([PS_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([ps_cv], [ps_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [ps_cv], [
    ps_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([ps_cv], [yes])], [AS_VAR_SET([ps_cv], [no])])
    CFLAGS=$ps_save_CFLAGS])
  AS_VAR_IF([ps_cv], [yes], [$2], [$3])
  AS_VAR_POPDEF([ps_cv])
])

# PS_APPEND_CFLAG_IF_SUPPORTED(FLAG)
AC_DEFUN([PS_APPEND_CFLAG_IF_SUPPORTED], [
  PS_CHECK_CFLAG([$1], [CFLAGS="$CFLAGS $1"])
])

# PS_REQUIRE_MODULE(VARIABLE-PREFIX, MODULE-SPEC, DEBIAN-PACKAGE)
# PKG_CHECK_MODULES with an error that says which package to install.
AC_DEFUN([PS_REQUIRE_MODULE], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 was not found by pkg-config.
  On Debian/Ubuntu install it with:  apt-get install $3
  (or set $1_CFLAGS and $1_LIBS by hand).
  pkg-config said: $$1_PKG_ERRORS])])
])
