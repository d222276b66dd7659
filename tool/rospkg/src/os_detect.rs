//! OS detection (`rospkg.os_detect`): being written.
